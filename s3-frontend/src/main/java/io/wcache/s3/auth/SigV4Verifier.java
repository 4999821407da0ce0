package io.wcache.s3.auth;

import io.netty.handler.codec.http.HttpHeaders;
import io.wcache.s3.error.S3Error;
import io.wcache.s3.error.S3ErrorCode;
import io.wcache.s3.error.S3Exception;
import io.wcache.s3.request.PercentCodec;
import io.wcache.s3.request.S3Request;
import io.wcache.s3.xml.S3Timestamps;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * Verifies AWS Signature Version 4 on S3 requests, in the {@code Authorization} header or as a
 * presigned URL, exactly as S3 computes it: the canonical URI is the path encoded once (S3 does
 * not double-encode or normalise), the query is sorted by encoded name and value, header values
 * are trimmed with inner whitespace folded. Failures are reported as the S3 error a real S3
 * endpoint would send. Thread-safe.
 */
public final class SigV4Verifier {
    /** The longest validity S3 accepts for a presigned URL. */
    public static final Duration MAX_PRESIGN_EXPIRY = Duration.ofDays(7);
    private static final String ALGORITHM = "AWS4-HMAC-SHA256";

    private final AuthMode mode;
    private final Clock clock;

    public SigV4Verifier(AuthMode mode, Clock clock) {
        this.mode = Objects.requireNonNull(mode, "mode");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /**
     * Authenticates a parsed request.
     *
     * @throws S3Exception with S3's error when the request may not proceed
     */
    public AuthResult verify(S3Request request) {
        HttpHeaders headers = request.headers();
        String authorization = headers.get("Authorization");
        boolean presigned = request.query().has("X-Amz-Algorithm") || request.query().has("X-Amz-Signature");
        boolean v2 = (authorization != null && authorization.startsWith("AWS "))
                || request.query().has("AWSAccessKeyId");
        PayloadMode payloadMode = PayloadMode.of(Optional.ofNullable(headers.get("x-amz-content-sha256")));
        Optional<String> expectedSha = payloadMode == PayloadMode.SHA256
                ? Optional.of(headers.get("x-amz-content-sha256").toLowerCase(Locale.ROOT)) : Optional.empty();

        if (mode instanceof AuthMode.None) {
            return new AuthResult(Optional.empty(), payloadMode, expectedSha, Optional.empty());
        }
        AuthMode.SigV4 sigv4 = (AuthMode.SigV4) mode;
        AuthResult signed = verifySigned(request, sigv4, authorization, presigned, v2, payloadMode, expectedSha);
        if (signed == null) {
            // No signature at all: an anonymous request, which only an ACL granting AllUsers admits.
            return new AuthResult(Optional.empty(), payloadMode, expectedSha, Optional.empty(), S3User.ANONYMOUS);
        }
        return signed.withUser(sigv4.user(signed.accessKey().orElseThrow()));
    }

    /** The result of a signed request; null when the request carries no signature of any kind. */
    private AuthResult verifySigned(S3Request request, AuthMode.SigV4 sigv4, String authorization, boolean presigned,
                                    boolean v2, PayloadMode payloadMode, Optional<String> expectedSha) {
        if (v2 && authorization == null && !presigned) {
            return PresignedV2.verify(request, sigv4.secretsByAccessKey(), clock.instant(), payloadMode);
        }
        if (v2) {
            throw new S3Exception(S3ErrorCode.INVALID_REQUEST,
                    "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.");
        }
        if (authorization != null && presigned) {
            throw new S3Exception(S3ErrorCode.INVALID_ARGUMENT, "Only one auth mechanism allowed;"
                    + " only the X-Amz-Algorithm query parameter or the Authorization header should be specified");
        }
        if (authorization != null) {
            return verifyHeader(request, sigv4, authorization, payloadMode, expectedSha);
        }
        if (presigned) {
            return verifyPresigned(request, sigv4, payloadMode, expectedSha);
        }
        return null;
    }

    private AuthResult verifyHeader(S3Request request, AuthMode.SigV4 cfg, String authorization,
                                    PayloadMode payloadMode, Optional<String> expectedSha) {
        ParsedAuthorization auth = ParsedAuthorization.parse(authorization);
        HttpHeaders headers = request.headers();
        String contentSha = headers.get("x-amz-content-sha256");
        if (contentSha == null) {
            throw new S3Exception(S3ErrorCode.INVALID_REQUEST,
                    "Missing required header for this request: x-amz-content-sha256");
        }
        String amzDate = headers.get("x-amz-date");
        Instant requestTime;
        String timestamp;
        if (amzDate != null) {
            requestTime = S3Timestamps.parseAmzDate(amzDate.trim()).orElseThrow(SigV4Verifier::missingDate);
            timestamp = amzDate.trim();
        } else {
            requestTime = S3Timestamps.parseHttpDate(headers.get("Date")).orElseThrow(SigV4Verifier::missingDate);
            timestamp = S3Timestamps.amzDate(requestTime);
        }
        Instant now = clock.instant();
        if (Duration.between(requestTime, now).abs().compareTo(cfg.maxSkew()) > 0) {
            throw new S3Exception(S3ErrorCode.REQUEST_TIME_TOO_SKEWED,
                    "The difference between the request time and the server's time is too large.");
        }
        CredentialScope scope = CredentialScope.parse(auth.credential(), false);
        scope.check(timestamp, cfg.region(), false);
        if (!auth.signedHeaders().contains("host")) {
            throw new S3Exception(S3ErrorCode.AUTHORIZATION_HEADER_MALFORMED,
                    "The authorization header is malformed; SignedHeaders must include host.");
        }
        SignedHeaderCoverage.check(headers, auth.signedHeaders(), request.resource());
        String secret = secretFor(cfg, scope.accessKey());
        byte[] signingKey = SigV4Crypto.signingKey(secret, scope.date(), scope.region(), scope.service());
        String expected = matchSignature(request, auth.signedHeaders(), contentSha, false, signingKey, timestamp,
                scope, auth.signature());
        Optional<StreamingSigner> streaming = payloadMode.signedChunks()
                ? Optional.of(new StreamingSigner(signingKey, timestamp, scope.scopeString(), expected))
                : Optional.empty();
        return new AuthResult(Optional.of(scope.accessKey()), payloadMode, expectedSha, streaming);
    }

    private AuthResult verifyPresigned(S3Request request, AuthMode.SigV4 cfg, PayloadMode payloadMode,
                                       Optional<String> expectedSha) {
        var q = request.query();
        String algorithm = q.first("X-Amz-Algorithm").orElse("");
        if (!algorithm.equals(ALGORITHM)) {
            throw queryError("X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"");
        }
        String credential = q.first("X-Amz-Credential").orElseThrow(() -> queryError(
                "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential,"
                        + " X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters."));
        String timestamp = q.first("X-Amz-Date").orElseThrow(() -> queryError("X-Amz-Date must be present"));
        Instant requestTime = S3Timestamps.parseAmzDate(timestamp)
                .orElseThrow(() -> queryError("X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\""));
        String expiresRaw = q.first("X-Amz-Expires").orElseThrow(() -> queryError("X-Amz-Expires must be present"));
        // As S3: an X-Amz-Expires out of range (zero, negative, more than a week) is 403 AccessDenied.
        if (!expiresRaw.matches("-?\\d{1,9}")) {
            throw queryError("X-Amz-Expires should be a number");
        }
        long expires = Long.parseLong(expiresRaw);
        if (expires < 1 || expires > MAX_PRESIGN_EXPIRY.toSeconds()) {
            throw new S3Exception(S3Error.of(S3ErrorCode.ACCESS_DENIED, expires < 1
                    ? "X-Amz-Expires must be non-negative"
                    : "X-Amz-Expires must be less than a week (in seconds) that is 604800", request.resource()));
        }
        String signature = q.first("X-Amz-Signature").orElseThrow(() -> queryError("X-Amz-Signature must be present"));
        List<String> signedHeaders = List.of(q.first("X-Amz-SignedHeaders").orElse("")
                .toLowerCase(Locale.ROOT).split(";"));
        if (!signedHeaders.contains("host")) {
            throw queryError("X-Amz-SignedHeaders must include host");
        }
        SignedHeaderCoverage.check(request.headers(), signedHeaders, request.resource());
        CredentialScope scope = CredentialScope.parse(credential, true);
        scope.check(timestamp, cfg.region(), true);
        Instant now = clock.instant();
        if (requestTime.isAfter(now.plus(cfg.maxSkew()))) {
            throw new S3Exception(S3Error.of(S3ErrorCode.ACCESS_DENIED, "Request is not valid yet", request.resource()));
        }
        if (now.isAfter(requestTime.plusSeconds(expires))) {
            throw new S3Exception(S3Error.of(S3ErrorCode.ACCESS_DENIED, "Request has expired", request.resource()));
        }
        String secret = secretFor(cfg, scope.accessKey());
        String payloadHash = Optional.ofNullable(request.headers().get("x-amz-content-sha256")).orElse("UNSIGNED-PAYLOAD");
        byte[] signingKey = SigV4Crypto.signingKey(secret, scope.date(), scope.region(), scope.service());
        String expected = matchSignature(request, signedHeaders, payloadHash, true, signingKey, timestamp, scope,
                signature.toLowerCase(Locale.ROOT));
        Optional<StreamingSigner> streaming = payloadMode.signedChunks()
                ? Optional.of(new StreamingSigner(signingKey, timestamp, scope.scopeString(), expected))
                : Optional.empty();
        return new AuthResult(Optional.of(scope.accessKey()), payloadMode, expectedSha, streaming);
    }

    /**
     * Checks the provided signature against the canonical request built with the single-encoded
     * path and, when the client sent the path in another (still valid) escaping, with the path as
     * sent: both name the same key, and some clients sign what they send verbatim. Header values
     * with bytes above 0x7F (Netty presents each byte as one ISO-8859-1 char) are hashed as UTF-8
     * of those chars first and then as the raw bytes received, which is what a client that sent
     * raw UTF-8 signed. Every candidate is a function of the request as received, so accepting any
     * of them grants nothing a forger could use.
     *
     * @return the matching signature, the seed of a chunked body
     */
    private static String matchSignature(S3Request request, List<String> signedHeaders, String payloadHash,
                                         boolean presigned, byte[] signingKey, String timestamp,
                                         CredentialScope scope, String provided) {
        String normalized = canonicalUri(request.rawPath());
        String raw = request.rawPath().isEmpty() ? "/" : request.rawPath();
        List<String> uris = raw.equals(normalized) ? List.of(normalized) : List.of(normalized, raw);
        for (String uri : uris) {
            String canonical = canonicalRequest(request, uri, signedHeaders, payloadHash, presigned);
            String expected = sign(signingKey, timestamp, scope, canonical.getBytes(StandardCharsets.UTF_8));
            if (SigV4Crypto.signaturesEqual(expected, provided)) {
                return expected;
            }
            if (isWireBytes(canonical)) {
                String wire = sign(signingKey, timestamp, scope, canonical.getBytes(StandardCharsets.ISO_8859_1));
                if (SigV4Crypto.signaturesEqual(wire, provided)) {
                    return wire;
                }
            }
        }
        throw new S3Exception(S3ErrorCode.SIGNATURE_DOES_NOT_MATCH, null);
    }

    /** Whether the text has bytes above 0x7F and every char is one received byte (at most 0xFF). */
    private static boolean isWireBytes(String canonical) {
        boolean high = false;
        for (int i = 0; i < canonical.length(); i++) {
            char c = canonical.charAt(i);
            if (c > 0xff) {
                return false;
            }
            high |= c >= 0x80;
        }
        return high;
    }

    /** The single-encoded form of a raw path: decoded to bytes, then SigV4-encoded keeping slashes. */
    public static String canonicalUri(String rawPath) {
        String path = rawPath.isEmpty() ? "/" : rawPath;
        return PercentCodec.encode(PercentCodec.decodeToBytes(path, false), true);
    }

    private static String sign(byte[] signingKey, String timestamp, CredentialScope scope, byte[] canonical) {
        String stringToSign = ALGORITHM + "\n" + timestamp + "\n" + scope.scopeString() + "\n"
                + SigV4Crypto.hex(SigV4Crypto.sha256(canonical));
        return SigV4Crypto.hex(SigV4Crypto.hmacSha256(signingKey, stringToSign));
    }

    private static String secretFor(AuthMode.SigV4 cfg, String accessKey) {
        String secret = cfg.secretsByAccessKey().get(accessKey);
        if (secret == null) {
            throw new S3Exception(S3ErrorCode.INVALID_ACCESS_KEY_ID, null);
        }
        return secret;
    }

    /**
     * The SigV4 canonical request of an S3 request.
     *
     * @param canonicalUri  the path line, see {@link #canonicalUri}
     * @param signedHeaders lower-case header names in the order the client listed them
     * @param payloadHash   the last line: the {@code x-amz-content-sha256} value or {@code UNSIGNED-PAYLOAD}
     * @param presigned     whether to leave {@code X-Amz-Signature} out of the canonical query
     */
    public static String canonicalRequest(S3Request request, String canonicalUri, List<String> signedHeaders,
                                          String payloadHash, boolean presigned) {
        StringBuilder sb = new StringBuilder(512);
        sb.append(request.method()).append('\n');
        sb.append(canonicalUri).append('\n');
        sb.append(canonicalQuery(request.rawQuery(), presigned)).append('\n');
        HttpHeaders headers = request.headers();
        for (String name : signedHeaders) {
            sb.append(name).append(':');
            List<String> values = headers.getAll(name);
            for (int i = 0; i < values.size(); i++) {
                if (i > 0) {
                    sb.append(',');
                }
                sb.append(foldWhitespace(values.get(i)));
            }
            sb.append('\n');
        }
        sb.append('\n').append(String.join(";", signedHeaders)).append('\n').append(payloadHash);
        return sb.toString();
    }

    static String canonicalQuery(String rawQuery, boolean presigned) {
        if (rawQuery == null || rawQuery.isEmpty()) {
            return "";
        }
        List<String[]> pairs = new ArrayList<>();
        for (String part : rawQuery.split("&")) {
            if (part.isEmpty()) {
                continue;
            }
            int eq = part.indexOf('=');
            String name = PercentCodec.encode(PercentCodec.decodeToBytes(eq < 0 ? part : part.substring(0, eq), true), false);
            if (presigned && name.equals("X-Amz-Signature")) {
                continue;
            }
            String value = eq < 0 ? "" : PercentCodec.encode(PercentCodec.decodeToBytes(part.substring(eq + 1), true), false);
            pairs.add(new String[] {name, value});
        }
        pairs.sort((a, b) -> {
            int c = a[0].compareTo(b[0]);
            return c != 0 ? c : a[1].compareTo(b[1]);
        });
        StringBuilder sb = new StringBuilder();
        for (String[] p : pairs) {
            if (sb.length() > 0) {
                sb.append('&');
            }
            sb.append(p[0]).append('=').append(p[1]);
        }
        return sb.toString();
    }

    static String foldWhitespace(String v) {
        String t = v.strip();
        StringBuilder sb = new StringBuilder(t.length());
        boolean space = false;
        for (int i = 0; i < t.length(); i++) {
            char c = t.charAt(i);
            if (c == ' ' || c == '\t') {
                if (!space) {
                    sb.append(' ');
                }
                space = true;
            } else {
                sb.append(c);
                space = false;
            }
        }
        return sb.toString();
    }

    private static S3Exception missingDate() {
        return new S3Exception(S3ErrorCode.ACCESS_DENIED, "AWS authentication requires a valid Date or x-amz-date header");
    }

    private static S3Exception queryError(String message) {
        return new S3Exception(S3ErrorCode.AUTHORIZATION_QUERY_PARAMETERS_ERROR, message);
    }

    /** The parts of an {@code Authorization: AWS4-HMAC-SHA256 ...} header. */
    record ParsedAuthorization(String credential, List<String> signedHeaders, String signature) {
        static ParsedAuthorization parse(String header) {
            String h = header.trim();
            if (!h.startsWith(ALGORITHM + " ")) {
                throw malformed("the authorization mechanism must be AWS4-HMAC-SHA256");
            }
            String credential = null;
            String signedHeaders = null;
            String signature = null;
            for (String part : h.substring(ALGORITHM.length()).split(",")) {
                String p = part.trim();
                int eq = p.indexOf('=');
                if (eq < 0) {
                    throw malformed("expected key=value, got '" + truncate(p) + "'");
                }
                String k = p.substring(0, eq).trim();
                String v = p.substring(eq + 1).trim();
                switch (k) {
                    case "Credential" -> credential = v;
                    case "SignedHeaders" -> signedHeaders = v;
                    case "Signature" -> signature = v;
                    default -> throw malformed("unknown component '" + truncate(k) + "'");
                }
            }
            if (credential == null || signedHeaders == null || signature == null || signedHeaders.isEmpty()) {
                throw malformed("Credential, SignedHeaders and Signature are required");
            }
            if (!PayloadMode.isSha256Hex(signature)) {
                throw malformed("the Signature must be 64 hex characters");
            }
            List<String> names = List.of(signedHeaders.toLowerCase(Locale.ROOT).split(";"));
            return new ParsedAuthorization(credential, names, signature.toLowerCase(Locale.ROOT));
        }
    }

    /** {@code AKID/yyyyMMdd/region/service/aws4_request}. */
    record CredentialScope(String accessKey, String date, String region, String service) {
        static CredentialScope parse(String credential, boolean query) {
            String[] p = credential.split("/", -1);
            if (p.length != 5 || p[0].isEmpty() || !p[1].matches("\\d{8}") || p[2].isEmpty()
                    || !p[4].equals("aws4_request")) {
                throw scopeError(query, "the Credential is mal-formed; expecting"
                        + " \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".");
            }
            return new CredentialScope(p[0], p[1], p[2], p[3]);
        }

        void check(String timestamp, Optional<String> expectedRegion, boolean query) {
            if (!timestamp.startsWith(date)) {
                throw scopeError(query, "Invalid credential date \"" + date + "\". This date is not the same as"
                        + " X-Amz-Date: \"" + timestamp.substring(0, Math.min(8, timestamp.length())) + "\".");
            }
            if (!service.equals("s3")) {
                throw scopeError(query, "Error parsing the X-Amz-Credential parameter; incorrect service \""
                        + service + "\". This endpoint belongs to \"s3\".");
            }
            if (expectedRegion.isPresent() && !expectedRegion.get().equals(region)) {
                throw scopeError(query, "the region '" + region + "' is wrong; expecting '" + expectedRegion.get() + "'");
            }
        }

        String scopeString() {
            return date + "/" + region + "/" + service + "/aws4_request";
        }

        private static S3Exception scopeError(boolean query, String message) {
            return new S3Exception(query ? S3ErrorCode.AUTHORIZATION_QUERY_PARAMETERS_ERROR
                    : S3ErrorCode.AUTHORIZATION_HEADER_MALFORMED,
                    (query ? "" : "The authorization header is malformed; ") + message);
        }
    }

    private static S3Exception malformed(String detail) {
        return new S3Exception(S3ErrorCode.AUTHORIZATION_HEADER_MALFORMED,
                "The authorization header is malformed; " + detail);
    }

    private static String truncate(String s) {
        return s.length() > 40 ? s.substring(0, 40) + "..." : s;
    }

    /** The accepted access keys, for diagnostics; never the secrets. */
    public java.util.Set<String> accessKeys() {
        return mode instanceof AuthMode.SigV4 s ? s.secretsByAccessKey().keySet() : java.util.Set.of();
    }

    /** Whether requests are verified at all. */
    public boolean verifiesSignatures() {
        return mode instanceof AuthMode.SigV4;
    }

}
