package io.wcache.s3.server;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.wcache.s3.auth.S3User;
import io.wcache.s3.error.S3ErrorCode;
import io.wcache.s3.error.S3Exception;
import java.math.BigDecimal;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * An S3 bucket policy (docs/SECURITY.md#bucket-policies): the parsed, validated form of the JSON
 * document PutBucketPolicy stores, and its evaluation for one request. What it can express and
 * wcache enforces: {@code Effect} Allow or Deny; {@code Principal} {@code "*"}, {@code {"AWS": ...}}
 * naming {@code "*"} or users of {@code s3.credentials} (their id, {@code arn:aws:iam::<id>:root} or
 * {@code arn:aws:iam::<id>:user/<name>}) or {@code {"CanonicalUser": <id>}}, and
 * {@code NotPrincipal} with Deny; {@code Action}/{@code NotAction} with {@code *} and {@code ?}
 * wildcards; {@code Resource}/{@code NotResource} {@code arn:aws:s3:::...} patterns; and the
 * conditions of {@link #CONDITION_KEYS} with the string, numeric, date, boolean, IP address and
 * null operators (and their {@code IfExists} forms). A document using anything else is refused
 * ({@code MalformedPolicy}, or {@code NotImplemented} for a valid condition key or set operator that
 * is not evaluated), never stored half-understood: an unenforced Deny would be a hole.
 */
final class S3Policy {
    /** S3's limit on a bucket policy document. */
    static final int MAX_BYTES = 20 * 1024;

    /** What a policy says about one request. */
    enum Decision {
        /** A matching Deny statement: refused, whatever else allows it. */
        DENY,
        /** A matching Allow statement and no Deny. */
        ALLOW,
        /** No statement matches: the ACLs decide. */
        NONE
    }

    /**
     * One request as a policy sees it.
     *
     * @param user     who asks ({@link S3User#ANONYMOUS} for an unsigned request)
     * @param action   the S3 action, e.g. {@code s3:GetObject}
     * @param resource the ARN of the bucket or object, e.g. {@code arn:aws:s3:::b/k}
     * @param values   the value of a condition key (lower-case), empty when the request has none
     */
    record Request(S3User user, String action, String resource, Function<String, Optional<String>> values) {
    }

    /** Condition keys evaluated (lower case; {@code s3:ExistingObjectTag/} and {@code s3:RequestObjectTag/} take a tag key). */
    static final Set<String> CONDITION_KEYS = Set.of("aws:referer", "aws:useragent", "aws:sourceip",
            "aws:securetransport", "aws:currenttime", "aws:epochtime", "aws:userid", "aws:username",
            "aws:principaltype", "s3:prefix", "s3:delimiter", "s3:max-keys", "s3:x-amz-acl",
            "s3:x-amz-grant-read", "s3:x-amz-grant-write", "s3:x-amz-grant-read-acp", "s3:x-amz-grant-write-acp",
            "s3:x-amz-grant-full-control", "s3:x-amz-copy-source", "s3:x-amz-metadata-directive",
            "s3:x-amz-content-sha256", "s3:x-amz-server-side-encryption", "s3:x-amz-storage-class",
            "s3:signatureversion", "s3:authtype");
    static final String EXISTING_TAG = "s3:existingobjecttag/";
    static final String REQUEST_TAG = "s3:requestobjecttag/";

    /** S3 actions a statement may name without a wildcard (compared case-insensitively, as IAM does). */
    static final Set<String> ACTIONS = lower(Set.of("AbortMultipartUpload", "BypassGovernanceRetention",
            "CreateBucket", "DeleteBucket", "DeleteBucketOwnershipControls", "DeleteBucketPolicy",
            "DeleteBucketWebsite", "DeleteObject", "DeleteObjectTagging", "DeleteObjectVersion",
            "DeleteObjectVersionTagging", "GetAccelerateConfiguration", "GetBucketAcl", "GetBucketCORS",
            "GetBucketLocation", "GetBucketLogging", "GetBucketNotification", "GetBucketObjectLockConfiguration",
            "GetBucketOwnershipControls", "GetBucketPolicy", "GetBucketPolicyStatus", "GetBucketPublicAccessBlock",
            "GetBucketRequestPayment", "GetBucketTagging", "GetBucketVersioning", "GetBucketWebsite",
            "GetEncryptionConfiguration", "GetLifecycleConfiguration", "GetObject", "GetObjectAcl",
            "GetObjectAttributes", "GetObjectLegalHold", "GetObjectRetention", "GetObjectTagging",
            "GetObjectTorrent", "GetObjectVersion", "GetObjectVersionAcl", "GetObjectVersionAttributes",
            "GetObjectVersionTagging", "GetReplicationConfiguration", "ListAllMyBuckets", "ListBucket",
            "ListBucketMultipartUploads", "ListBucketVersions", "ListMultipartUploadParts", "PutAccelerateConfiguration",
            "PutBucketAcl", "PutBucketCORS", "PutBucketLogging", "PutBucketNotification",
            "PutBucketObjectLockConfiguration", "PutBucketOwnershipControls", "PutBucketPolicy",
            "PutBucketPublicAccessBlock", "PutBucketRequestPayment", "PutBucketTagging", "PutBucketVersioning",
            "PutBucketWebsite", "PutEncryptionConfiguration", "PutLifecycleConfiguration", "PutObject",
            "PutObjectAcl", "PutObjectLegalHold", "PutObjectRetention", "PutObjectTagging", "PutObjectVersionAcl",
            "PutObjectVersionTagging", "PutReplicationConfiguration", "RestoreObject"));

    private static final Set<String> OPERATORS = lower(Set.of("StringEquals", "StringNotEquals",
            "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase", "StringLike", "StringNotLike", "NumericEquals",
            "NumericNotEquals", "NumericLessThan", "NumericLessThanEquals", "NumericGreaterThan",
            "NumericGreaterThanEquals", "DateEquals", "DateNotEquals", "DateLessThan", "DateLessThanEquals",
            "DateGreaterThan", "DateGreaterThanEquals", "Bool", "IpAddress", "NotIpAddress", "Null"));

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private record Principals(boolean anyone, Set<String> userIds) {
        boolean matches(S3User u) {
            return anyone || (!u.anonymous() && userIds.contains(u.id()));
        }
    }

    private record Condition(String operator, boolean ifExists, String key, List<String> values) {
    }

    private record Statement(boolean allow, Principals principals, boolean notPrincipal, List<String> actions,
                             boolean notAction, List<String> resources, boolean notResource,
                             List<Condition> conditions) {
    }

    private final List<Statement> statements;

    /** Stands for a stored document that no longer parses: denies everything (the owner keeps the policy operations). */
    static final S3Policy DENY_ALL = new S3Policy(List.of(new Statement(false, new Principals(true, Set.of()), false,
            List.of("*"), false, List.of("*"), false, List.of())));

    private S3Policy(List<Statement> statements) {
        this.statements = List.copyOf(statements);
    }

    // ------------------------------------------------------------------ parsing

    private static S3Exception malformed(String message) {
        return new S3Exception(S3ErrorCode.MALFORMED_POLICY, message);
    }

    /**
     * Parses and validates a policy document.
     *
     * @throws S3Exception {@code 400 MalformedPolicy} for what S3 refuses (not JSON, unknown fields,
     *                     no statement, an invalid effect, principal, action, resource or condition;
     *                     an Allow with NotPrincipal; over 20 KiB), {@code 501 NotImplemented} for
     *                     a valid condition key or set operator wcache does not evaluate
     */
    static S3Policy parse(String document, S3Acl.Users users) {
        if (document.getBytes(StandardCharsets.UTF_8).length > MAX_BYTES) {
            throw malformed("Policies must be no larger than 20 KB");
        }
        JsonNode root;
        try {
            root = JSON.readTree(document);
        } catch (Exception e) {
            throw malformed("Policies must be valid JSON and the first byte must be '{'");
        }
        if (root == null || !root.isObject()) {
            throw malformed("Policies must be valid JSON and the first byte must be '{'");
        }
        for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!Set.of("Version", "Id", "Statement").contains(f)) {
                throw malformed("Unknown field " + f);
            }
        }
        JsonNode version = root.get("Version");
        if (version != null && !(version.isTextual()
                && Set.of("2012-10-17", "2008-10-17").contains(version.asText()))) {
            throw malformed("The policy must contain a valid version string");
        }
        JsonNode st = root.get("Statement");
        if (st == null || (st.isArray() && st.isEmpty())) {
            throw malformed("Missing required field Statement");
        }
        List<Statement> out = new ArrayList<>();
        for (JsonNode s : st.isArray() ? st : List.of(st)) {
            out.add(statement(s, users));
        }
        return new S3Policy(out);
    }

    private static Statement statement(JsonNode s, S3Acl.Users users) {
        if (!s.isObject()) {
            throw malformed("Statement is not an object");
        }
        for (Iterator<String> it = s.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!Set.of("Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource",
                    "NotResource", "Condition").contains(f)) {
                throw malformed("Unknown field " + f);
            }
        }
        JsonNode effect = s.get("Effect");
        if (effect == null || !effect.isTextual() || !Set.of("Allow", "Deny").contains(effect.asText())) {
            throw malformed("Invalid effect: " + (effect == null ? "missing" : effect.toString()));
        }
        boolean allow = effect.asText().equals("Allow");
        JsonNode principal = s.get("Principal");
        JsonNode notPrincipal = s.get("NotPrincipal");
        if ((principal == null) == (notPrincipal == null)) {
            throw malformed(principal == null ? "Missing required field Principal"
                    : "A statement may not have both Principal and NotPrincipal");
        }
        if (notPrincipal != null && allow) {
            throw malformed("NotPrincipal is only supported with \"Effect\": \"Deny\"");
        }
        Principals principals = principals(principal != null ? principal : notPrincipal, users);
        JsonNode action = s.get("Action");
        JsonNode notAction = s.get("NotAction");
        if ((action == null) == (notAction == null)) {
            throw malformed("A statement needs exactly one of Action and NotAction");
        }
        List<String> actions = new ArrayList<>();
        for (String a : strings(action != null ? action : notAction, "Action")) {
            actions.add(action(a));
        }
        JsonNode resource = s.get("Resource");
        JsonNode notResource = s.get("NotResource");
        if ((resource == null) == (notResource == null)) {
            throw malformed("A statement needs exactly one of Resource and NotResource");
        }
        List<String> resources = new ArrayList<>();
        for (String r : strings(resource != null ? resource : notResource, "Resource")) {
            if (!r.equals("*") && !(r.startsWith("arn:aws:s3:::") && r.length() > "arn:aws:s3:::".length())) {
                throw malformed("Policy has invalid resource: " + r);
            }
            resources.add(r);
        }
        List<Condition> conditions = new ArrayList<>();
        JsonNode cond = s.get("Condition");
        if (cond != null) {
            if (!cond.isObject()) {
                throw malformed("Condition is not an object");
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = cond.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> op = it.next();
                conditions.addAll(conditions(op.getKey(), op.getValue()));
            }
        }
        return new Statement(allow, principals, notPrincipal != null, actions, notAction != null, resources,
                notResource != null, conditions);
    }

    private static List<String> strings(JsonNode n, String what) {
        List<String> out = new ArrayList<>();
        if (n.isTextual()) {
            out.add(n.asText());
        } else if (n.isArray() && !n.isEmpty()) {
            for (JsonNode e : n) {
                if (!e.isTextual()) {
                    throw malformed(what + " must be a string or an array of strings");
                }
                out.add(e.asText());
            }
        } else {
            throw malformed(what + " must be a string or an array of strings");
        }
        return out;
    }

    private static Principals principals(JsonNode p, S3Acl.Users users) {
        if (p.isTextual()) {
            if (!p.asText().equals("*")) {
                throw malformed("Invalid principal in policy: " + p.asText());
            }
            return new Principals(true, Set.of());
        }
        if (!p.isObject() || p.isEmpty()) {
            throw malformed("Invalid principal in policy");
        }
        boolean anyone = false;
        java.util.Set<String> ids = new java.util.TreeSet<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = p.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            boolean aws = e.getKey().equals("AWS");
            if (!aws && !e.getKey().equals("CanonicalUser")) {
                throw malformed("Invalid principal in policy: only AWS and CanonicalUser principals name users"
                        + " of this endpoint, not " + e.getKey());
            }
            for (String name : strings(e.getValue(), "Principal")) {
                if (aws && name.equals("*")) {
                    anyone = true;
                    continue;
                }
                String id = aws ? awsPrincipalId(name, users) : name;
                if (users.byId(id).isEmpty()) {
                    throw malformed("Invalid principal in policy: " + name);
                }
                ids.add(id);
            }
        }
        return new Principals(anyone, Set.copyOf(ids));
    }

    /** The user id an AWS principal names: the id itself, {@code arn:aws:iam::<id>:root} or {@code :user/<name>}. */
    private static String awsPrincipalId(String name, S3Acl.Users users) {
        if (!name.startsWith("arn:")) {
            return name;
        }
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("arn:aws:iam::([^:]+):(root|user/(.+))")
                .matcher(name);
        if (!m.matches()) {
            throw malformed("Invalid principal in policy: " + name);
        }
        String id = m.group(1);
        if (m.group(3) != null) {
            Optional<S3User> u = users.byId(id);
            if (u.isEmpty() || !(m.group(3).equals(u.get().displayName()) || m.group(3).equals(id))) {
                throw malformed("Invalid principal in policy: " + name);
            }
        }
        return id;
    }

    private static String action(String a) {
        if (a.equals("*")) {
            return a;
        }
        String l = a.toLowerCase(Locale.ROOT);
        if (!l.startsWith("s3:") || !l.substring(3).matches("[a-z*?]+")) {
            throw malformed("Policy has invalid action: " + a);
        }
        String name = l.substring(3);
        if (name.indexOf('*') < 0 && name.indexOf('?') < 0 && !ACTIONS.contains(name)) {
            throw malformed("Policy has invalid action: " + a);
        }
        return l;
    }

    private static List<Condition> conditions(String operator, JsonNode keys) {
        if (operator.contains(":")) {
            String set = operator.substring(0, operator.indexOf(':'));
            if (set.equals("ForAnyValue") || set.equals("ForAllValues")) {
                throw new S3Exception(S3ErrorCode.NOT_IMPLEMENTED, "The condition set operator " + set
                        + " is not evaluated by this endpoint; a policy using it is refused rather than enforced"
                        + " in part");
            }
            throw malformed("Invalid Condition type : " + operator);
        }
        String op = operator.toLowerCase(Locale.ROOT);
        boolean ifExists = op.endsWith("ifexists") && !op.equals("null");
        String base = ifExists ? op.substring(0, op.length() - "ifexists".length()) : op;
        if (!OPERATORS.contains(base) || (ifExists && base.equals("null"))) {
            throw malformed("Invalid Condition type : " + operator);
        }
        if (!keys.isObject() || keys.isEmpty()) {
            throw malformed("Condition " + operator + " must name at least one key");
        }
        List<Condition> out = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = keys.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String key = e.getKey().toLowerCase(Locale.ROOT);
            boolean tag = (key.startsWith(EXISTING_TAG) && key.length() > EXISTING_TAG.length())
                    || (key.startsWith(REQUEST_TAG) && key.length() > REQUEST_TAG.length());
            if (!tag && !CONDITION_KEYS.contains(key)) {
                if (key.startsWith("aws:") || key.startsWith("s3:")) {
                    throw new S3Exception(S3ErrorCode.NOT_IMPLEMENTED, "The condition key " + e.getKey()
                            + " is not evaluated by this endpoint; a policy using it is refused rather than enforced"
                            + " in part");
                }
                throw malformed("Policy has an invalid condition key: " + e.getKey());
            }
            List<String> values = new ArrayList<>();
            JsonNode v = e.getValue();
            for (JsonNode one : v.isArray() ? v : List.of(v)) {
                if (!one.isValueNode() || one.isNull()) {
                    throw malformed("Condition values must be strings, numbers or booleans");
                }
                String text = one.asText();
                checkValue(base, text, e.getKey());
                values.add(text);
            }
            if (values.isEmpty()) {
                throw malformed("Condition " + operator + " gives no value for " + e.getKey());
            }
            // The original case of a tag key matters; other keys are case-insensitive.
            String stored = tag ? key.substring(0, key.indexOf('/') + 1) + e.getKey().substring(key.indexOf('/') + 1)
                    : key;
            out.add(new Condition(base, ifExists, stored, values));
        }
        return out;
    }

    private static void checkValue(String op, String v, String key) {
        boolean ok = switch (op) {
            case "numericequals", "numericnotequals", "numericlessthan", "numericlessthanequals",
                    "numericgreaterthan", "numericgreaterthanequals" -> number(v) != null;
            case "dateequals", "datenotequals", "datelessthan", "datelessthanequals", "dategreaterthan",
                    "dategreaterthanequals" -> date(v) != null;
            case "bool", "null" -> v.equalsIgnoreCase("true") || v.equalsIgnoreCase("false");
            case "ipaddress", "notipaddress" -> Cidr.parse(v) != null;
            default -> true;
        };
        if (!ok) {
            throw malformed("Invalid value " + v + " for condition key " + key);
        }
    }

    // ------------------------------------------------------------------ evaluation

    /** Explicit Deny first, then Allow, else no decision (the ACLs decide). */
    Decision evaluate(Request r) {
        boolean allowed = false;
        for (Statement s : statements) {
            if (matches(s, r)) {
                if (!s.allow()) {
                    return Decision.DENY;
                }
                allowed = true;
            }
        }
        return allowed ? Decision.ALLOW : Decision.NONE;
    }

    /** Whether any condition looks at the tags of the existing object (which must then be read first). */
    boolean usesExistingObjectTags() {
        return statements.stream().flatMap(s -> s.conditions().stream())
                .anyMatch(c -> c.key().startsWith(EXISTING_TAG));
    }

    /**
     * Whether the policy makes the bucket public, as GetBucketPolicyStatus reports it: an Allow to
     * everyone ({@code "*"}) without conditions.
     */
    boolean isPublic() {
        return statements.stream().anyMatch(s -> s.allow() && !s.notPrincipal() && s.principals().anyone()
                && s.conditions().isEmpty());
    }

    private static boolean matches(Statement s, Request r) {
        boolean principal = s.principals().matches(r.user());
        if (s.notPrincipal() == principal) {
            return false;
        }
        boolean action = s.actions().stream().anyMatch(a -> a.equals("*")
                || glob(a, r.action().toLowerCase(Locale.ROOT)));
        if (s.notAction() == action) {
            return false;
        }
        boolean resource = s.resources().stream().anyMatch(p -> p.equals("*") || glob(p, r.resource()));
        if (s.notResource() == resource) {
            return false;
        }
        for (Condition c : s.conditions()) {
            if (!holds(c, r)) {
                return false;
            }
        }
        return true;
    }

    private static boolean holds(Condition c, Request r) {
        Optional<String> value = r.values().apply(c.key());
        if (c.operator().equals("null")) {
            boolean wantAbsent = c.values().stream().anyMatch(v -> v.equalsIgnoreCase("true"));
            boolean wantPresent = c.values().stream().anyMatch(v -> v.equalsIgnoreCase("false"));
            return value.isEmpty() ? wantAbsent : wantPresent;
        }
        boolean negated = c.operator().contains("not");
        if (value.isEmpty()) {
            // As IAM: a missing key fails a condition, except an IfExists one or a negated one.
            return c.ifExists() || negated;
        }
        String v = value.get();
        boolean any = c.values().stream().anyMatch(p -> matchesValue(c.operator(), p, v));
        return negated ? !any : any;
    }

    private static boolean matchesValue(String op, String p, String v) {
        return switch (op) {
            case "stringequals", "stringnotequals" -> p.equals(v);
            case "stringequalsignorecase", "stringnotequalsignorecase" -> p.equalsIgnoreCase(v);
            case "stringlike", "stringnotlike" -> glob(p, v);
            case "bool" -> p.equalsIgnoreCase(v);
            case "ipaddress", "notipaddress" -> {
                Cidr cidr = Cidr.parse(p);
                yield cidr != null && cidr.contains(v);
            }
            default -> {
                if (op.startsWith("numeric")) {
                    BigDecimal a = number(v);
                    BigDecimal b = number(p);
                    yield a != null && b != null && compare(op.substring("numeric".length()), a.compareTo(b));
                }
                Instant a = date(v);
                Instant b = date(p);
                yield a != null && b != null && compare(op.substring("date".length()), a.compareTo(b));
            }
        };
    }

    private static boolean compare(String how, int cmp) {
        return switch (how) {
            case "equals" -> cmp == 0;
            case "notequals" -> cmp == 0; // negated by the caller
            case "lessthan" -> cmp < 0;
            case "lessthanequals" -> cmp <= 0;
            case "greaterthan" -> cmp > 0;
            case "greaterthanequals" -> cmp >= 0;
            default -> false;
        };
    }

    private static BigDecimal number(String s) {
        try {
            return new BigDecimal(s.trim());
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static Instant date(String s) {
        String t = s.trim();
        if (t.matches("\\d{1,12}")) {
            return Instant.ofEpochSecond(Long.parseLong(t));
        }
        try {
            return OffsetDateTime.parse(t).toInstant();
        } catch (DateTimeParseException e) {
            try {
                return Instant.parse(t);
            } catch (DateTimeParseException e2) {
                return null;
            }
        }
    }

    /** IAM wildcards: {@code *} any run of characters, {@code ?} one character; everything else literal. */
    static boolean glob(String pattern, String s) {
        int p = 0;
        int i = 0;
        int star = -1;
        int mark = 0;
        while (i < s.length()) {
            if (p < pattern.length() && (pattern.charAt(p) == '?' || pattern.charAt(p) == s.charAt(i))) {
                p++;
                i++;
            } else if (p < pattern.length() && pattern.charAt(p) == '*') {
                star = p++;
                mark = i;
            } else if (star >= 0) {
                p = star + 1;
                i = ++mark;
            } else {
                return false;
            }
        }
        while (p < pattern.length() && pattern.charAt(p) == '*') {
            p++;
        }
        return p == pattern.length();
    }

    private static Set<String> lower(Set<String> names) {
        return names.stream().map(n -> n.toLowerCase(Locale.ROOT)).collect(java.util.stream.Collectors.toUnmodifiableSet());
    }

    /** An IPv4 or IPv6 address block ({@code 192.0.2.0/24}; an address alone is its own block). */
    record Cidr(byte[] network, int bits) {
        static Cidr parse(String s) {
            String t = s.trim();
            int slash = t.indexOf('/');
            String addr = slash < 0 ? t : t.substring(0, slash);
            if (!addr.matches("[0-9a-fA-F:.]+")) {
                return null;
            }
            try {
                byte[] a = InetAddress.getByName(addr).getAddress();
                int bits = slash < 0 ? a.length * 8 : Integer.parseInt(t.substring(slash + 1));
                return bits < 0 || bits > a.length * 8 ? null : new Cidr(a, bits);
            } catch (UnknownHostException | NumberFormatException e) {
                return null;
            }
        }

        boolean contains(String ip) {
            Cidr other = parse(ip);
            if (other == null || other.network().length != network.length) {
                return false;
            }
            for (int b = 0; b < bits; b++) {
                int mask = 0x80 >> (b % 8);
                if ((network[b / 8] & mask) != (other.network()[b / 8] & mask)) {
                    return false;
                }
            }
            return true;
        }
    }
}
