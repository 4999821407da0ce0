package io.wcache.s3.server;

import io.netty.handler.codec.http.HttpHeaders;
import io.wcache.core.cache.AccessControl;
import io.wcache.core.cache.AccessControl.Grant;
import io.wcache.s3.auth.S3User;
import io.wcache.s3.error.S3ErrorCode;
import io.wcache.s3.error.S3Exception;
import io.wcache.s3.xml.S3XmlParser;
import io.wcache.s3.xml.XmlWriter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * S3 access control lists (docs/SECURITY.md): the users known to the endpoint, canned ACLs,
 * {@code x-amz-grant-*} headers and AccessControlPolicy bodies turned into grants, their XML, and
 * the permission check. An ACL is an owner and grants, kept as {@link AccessControl}.
 */
final class S3Acl {
    static final String ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers";
    static final String AUTHENTICATED_USERS = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers";
    static final String LOG_DELIVERY = "http://acs.amazonaws.com/groups/s3/LogDelivery";
    static final String CANONICAL_USER = "CanonicalUser";
    static final String GROUP = "Group";

    static final String FULL_CONTROL = "FULL_CONTROL";
    static final String READ = "READ";
    static final String WRITE = "WRITE";
    static final String READ_ACP = "READ_ACP";
    static final String WRITE_ACP = "WRITE_ACP";
    private static final Set<String> PERMISSIONS = Set.of(FULL_CONTROL, READ, WRITE, READ_ACP, WRITE_ACP);
    private static final Set<String> GROUPS = Set.of(ALL_USERS, AUTHENTICATED_USERS, LOG_DELIVERY);
    static final Set<String> CANNED = Set.of("private", "public-read", "public-read-write", "authenticated-read",
            "bucket-owner-read", "bucket-owner-full-control", "log-delivery-write", "aws-exec-read");
    /** The grant headers, in the order their grants are listed (as S3 lists them). */
    private static final Map<String, String> GRANT_HEADERS = grantHeaders();

    private static Map<String, String> grantHeaders() {
        Map<String, String> m = new java.util.LinkedHashMap<>();
        m.put("x-amz-grant-read", READ);
        m.put("x-amz-grant-write", WRITE);
        m.put("x-amz-grant-read-acp", READ_ACP);
        m.put("x-amz-grant-write-acp", WRITE_ACP);
        m.put("x-amz-grant-full-control", FULL_CONTROL);
        return java.util.Collections.unmodifiableMap(m);
    }

    /** The users of the endpoint, by canonical id and by e-mail (grants name them). */
    static final class Users {
        private final Map<String, S3User> byId = new HashMap<>();
        private final Map<String, S3User> byEmail = new HashMap<>();

        Users(Collection<S3User> users) {
            byId.put(S3User.DEFAULT.id(), S3User.DEFAULT);
            for (S3User u : users) {
                byId.putIfAbsent(u.id(), u);
                if (!u.email().isEmpty()) {
                    byEmail.putIfAbsent(u.email().toLowerCase(Locale.ROOT), u);
                }
            }
        }

        Optional<S3User> byId(String id) {
            return Optional.ofNullable(byId.get(id));
        }

        Optional<S3User> byEmail(String email) {
            return Optional.ofNullable(byEmail.get(email.toLowerCase(Locale.ROOT)));
        }
    }

    private S3Acl() {
    }

    static Grant user(S3User u, String permission) {
        return new Grant(CANONICAL_USER, u.id(), u.displayName(), permission);
    }

    static Grant group(String uri, String permission) {
        return new Grant(GROUP, uri, "", permission);
    }

    /** What a bucket or object without a record of its own has: {@code owner} alone, with FULL_CONTROL. */
    static AccessControl privateTo(S3User owner) {
        return new AccessControl(owner.id(), owner.displayName(), List.of(user(owner, FULL_CONTROL)), 0, 0, false,
                "", "");
    }

    static S3User owner(AccessControl acl) {
        return new S3User(acl.ownerId(), acl.ownerName(), "");
    }

    /**
     * The grants a request gives a new bucket or object, or a PutAcl without body: a canned
     * {@code x-amz-acl} (default {@code private}) or {@code x-amz-grant-*} headers (not both).
     * Group grants come first, then the owner's (as S3 lists them).
     */
    static List<Grant> fromHeaders(HttpHeaders h, S3User owner, S3User bucketOwner, Users users) {
        String canned = h.get("x-amz-acl");
        List<Grant> headerGrants = new ArrayList<>();
        for (Map.Entry<String, String> e : GRANT_HEADERS.entrySet()) {
            for (String v : h.getAll(e.getKey())) {
                headerGrants.addAll(parseGrantHeader(v, e.getValue(), users));
            }
        }
        if (canned != null && !headerGrants.isEmpty()) {
            throw new S3Exception(S3ErrorCode.INVALID_REQUEST,
                    "Specifying both Canned ACLs and Header Grants is not allowed");
        }
        if (!headerGrants.isEmpty()) {
            return headerGrants;
        }
        return canned(canned == null ? "private" : canned.trim().toLowerCase(Locale.ROOT), owner, bucketOwner);
    }

    /** Whether the request names an ACL at all (x-amz-acl or x-amz-grant-*). */
    static boolean named(HttpHeaders h) {
        if (h.contains("x-amz-acl")) {
            return true;
        }
        return GRANT_HEADERS.keySet().stream().anyMatch(h::contains);
    }

    static List<Grant> canned(String name, S3User owner, S3User bucketOwner) {
        Grant own = user(owner, FULL_CONTROL);
        return switch (name) {
            case "private", "aws-exec-read" -> List.of(own);
            case "public-read" -> List.of(group(ALL_USERS, READ), own);
            case "public-read-write" -> List.of(group(ALL_USERS, READ), group(ALL_USERS, WRITE), own);
            case "authenticated-read" -> List.of(group(AUTHENTICATED_USERS, READ), own);
            case "log-delivery-write" -> List.of(group(LOG_DELIVERY, WRITE), group(LOG_DELIVERY, READ_ACP), own);
            case "bucket-owner-read" -> bucketOwner.id().equals(owner.id()) ? List.of(own)
                    : List.of(own, user(bucketOwner, READ));
            case "bucket-owner-full-control" -> bucketOwner.id().equals(owner.id()) ? List.of(own)
                    : List.of(own, user(bucketOwner, FULL_CONTROL));
            default -> throw new S3Exception(S3ErrorCode.INVALID_ARGUMENT, "The canned ACL '" + shorten(name)
                    + "' is not one of S3's: " + String.join(", ", new java.util.TreeSet<>(CANNED)));
        };
    }

    /** {@code id="...", uri="...", emailAddress="..."}, comma-separated. */
    private static List<Grant> parseGrantHeader(String value, String permission, Users users) {
        List<Grant> out = new ArrayList<>();
        for (String part : value.split(",")) {
            String p = part.trim();
            if (p.isEmpty()) {
                continue;
            }
            int eq = p.indexOf('=');
            if (eq < 0) {
                throw new S3Exception(S3ErrorCode.INVALID_ARGUMENT, "Invalid grant header value: " + shorten(p));
            }
            String kind = p.substring(0, eq).trim().toLowerCase(Locale.ROOT);
            String v = p.substring(eq + 1).trim();
            if (v.length() >= 2 && v.startsWith("\"") && v.endsWith("\"")) {
                v = v.substring(1, v.length() - 1);
            }
            out.add(grant(switch (kind) {
                case "id" -> "ID";
                case "uri" -> "URI";
                case "emailaddress" -> "EmailAddress";
                default -> throw new S3Exception(S3ErrorCode.INVALID_ARGUMENT,
                        "Invalid grantee type in grant header: " + shorten(kind));
            }, v, permission, users));
        }
        return out;
    }

    /** The grants of an AccessControlPolicy body, each grantee resolved. */
    static List<Grant> fromBody(S3XmlParser.AclBody body, Users users) {
        List<Grant> out = new ArrayList<>();
        for (S3XmlParser.AclGrantBody g : body.grants()) {
            out.add(grant(g.kind(), g.value(), g.permission(), users));
        }
        return out;
    }

    private static Grant grant(String kind, String value, String permission, Users users) {
        if (!PERMISSIONS.contains(permission)) {
            throw new S3Exception(S3ErrorCode.MALFORMED_ACL_ERROR, "Unknown permission '" + shorten(permission) + "'");
        }
        return switch (kind) {
            case "ID" -> user(users.byId(value).orElseThrow(() -> new S3Exception(S3ErrorCode.INVALID_ARGUMENT,
                    "Invalid id: no user '" + shorten(value) + "' is known")), permission);
            case "EmailAddress" -> user(users.byEmail(value).orElseThrow(() -> new S3Exception(
                    S3ErrorCode.UNRESOLVABLE_GRANT_BY_EMAIL_ADDRESS, null)), permission);
            default -> {
                if (!GROUPS.contains(value)) {
                    throw new S3Exception(S3ErrorCode.INVALID_ARGUMENT, "Invalid group uri '" + shorten(value) + "'");
                }
                yield group(value, permission);
            }
        };
    }

    /**
     * Whether {@code who} has {@code permission} under {@code acl}: a grant to the user, to
     * AllUsers, or (signed requests) to AuthenticatedUsers, of that permission or FULL_CONTROL. The
     * owner may always read and write the ACL itself, as on S3.
     */
    static boolean allows(AccessControl acl, S3User who, String permission) {
        boolean isOwner = !who.anonymous() && who.id().equals(acl.ownerId());
        if (isOwner && (permission.equals(READ_ACP) || permission.equals(WRITE_ACP))) {
            return true;
        }
        for (Grant g : acl.grants()) {
            if (!g.permission().equals(permission) && !g.permission().equals(FULL_CONTROL)) {
                continue;
            }
            boolean matches = g.granteeType().equals(CANONICAL_USER)
                    ? !who.anonymous() && g.grantee().equals(who.id())
                    : g.grantee().equals(ALL_USERS) || (g.grantee().equals(AUTHENTICATED_USERS) && !who.anonymous());
            if (matches) {
                return true;
            }
        }
        return false;
    }

    /** The AccessControlPolicy document of {@code acl}. */
    static byte[] xml(AccessControl acl) {
        XmlWriter w = new XmlWriter().root("AccessControlPolicy");
        w.start("Owner").element("ID", acl.ownerId()).element("DisplayName", acl.ownerName()).end();
        w.start("AccessControlList");
        for (Grant g : acl.grants()) {
            w.start("Grant").startTyped("Grantee", g.granteeType());
            if (g.granteeType().equals(CANONICAL_USER)) {
                w.element("ID", g.grantee()).element("DisplayName", g.displayName());
            } else {
                w.element("URI", g.grantee());
            }
            w.end().element("Permission", g.permission()).end();
        }
        return w.end().end().toBytes();
    }

    private static String shorten(String s) {
        return s.length() > 100 ? s.substring(0, 100) + "..." : s;
    }
}
