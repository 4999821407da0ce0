package io.wcache.s3.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wcache.s3.auth.S3User;
import io.wcache.s3.error.S3ErrorCode;
import io.wcache.s3.error.S3Exception;
import io.wcache.s3.server.S3Policy.Decision;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Parsing, validation and evaluation of bucket policies, without a server. */
class S3PolicyTest {
    static final S3User MAIN = new S3User("main-id", "main-name", "");
    static final S3User ALT = new S3User("alt-id", "alt-name", "");
    static final S3Acl.Users USERS = new S3Acl.Users(List.of(MAIN, ALT));

    static S3Policy parse(String statements) {
        return S3Policy.parse("{\"Version\":\"2012-10-17\",\"Statement\":[" + statements + "]}", USERS);
    }

    static Decision eval(S3Policy p, S3User u, String action, String resource, Map<String, String> values) {
        return p.evaluate(new S3Policy.Request(u, action, resource, k -> Optional.ofNullable(values.get(k))));
    }

    static S3ErrorCode refusal(String statements) {
        try {
            parse(statements);
        } catch (S3Exception e) {
            return e.error().code();
        }
        return null;
    }

    @Test
    void principalsNameUsersByIdAndArnOrEveryone() {
        S3Policy p = parse("{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":[\"arn:aws:iam::alt-id:root\"]},"
                + "\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::b/*\"}");
        assertThat(eval(p, ALT, "s3:GetObject", "arn:aws:s3:::b/k", Map.of())).isEqualTo(Decision.ALLOW);
        assertThat(eval(p, MAIN, "s3:GetObject", "arn:aws:s3:::b/k", Map.of())).isEqualTo(Decision.NONE);
        assertThat(eval(p, S3User.ANONYMOUS, "s3:GetObject", "arn:aws:s3:::b/k", Map.of())).isEqualTo(Decision.NONE);
        for (String principal : List.of("{\"AWS\":\"alt-id\"}", "{\"CanonicalUser\":\"alt-id\"}",
                "{\"AWS\":\"arn:aws:iam::alt-id:user/alt-name\"}")) {
            S3Policy q = parse("{\"Effect\":\"Allow\",\"Principal\":" + principal
                    + ",\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::b/*\"}");
            assertThat(eval(q, ALT, "s3:GetObject", "arn:aws:s3:::b/k", Map.of())).as(principal).isEqualTo(Decision.ALLOW);
        }
        S3Policy anyone = parse("{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:GetObject\","
                + "\"Resource\":\"arn:aws:s3:::b/*\"}");
        assertThat(eval(anyone, S3User.ANONYMOUS, "s3:GetObject", "arn:aws:s3:::b/k", Map.of())).isEqualTo(Decision.ALLOW);
        assertThat(anyone.isPublic()).isTrue();
        assertThat(p.isPublic()).isFalse();
        // NotPrincipal with Deny: everyone but the named user.
        S3Policy allBut = parse("{\"Effect\":\"Deny\",\"NotPrincipal\":{\"AWS\":\"main-id\"},\"Action\":\"s3:*\","
                + "\"Resource\":\"arn:aws:s3:::b/*\"}");
        assertThat(eval(allBut, ALT, "s3:GetObject", "arn:aws:s3:::b/k", Map.of())).isEqualTo(Decision.DENY);
        assertThat(eval(allBut, MAIN, "s3:GetObject", "arn:aws:s3:::b/k", Map.of())).isEqualTo(Decision.NONE);
    }

    @Test
    void denyWinsAndWildcardsMatchActionsCaseInsensitivelyAndResourcesExactly() {
        S3Policy p = parse("{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:Get*\",\"Resource\":\"arn:aws:s3:::b/*\"},"
                + "{\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"S3:GETOBJECT\",\"Resource\":\"arn:aws:s3:::b/secret/??\"}");
        assertThat(eval(p, ALT, "s3:GetObjectTagging", "arn:aws:s3:::b/x", Map.of())).isEqualTo(Decision.ALLOW);
        assertThat(eval(p, ALT, "s3:GetObject", "arn:aws:s3:::b/secret/ab", Map.of())).isEqualTo(Decision.DENY);
        assertThat(eval(p, ALT, "s3:GetObject", "arn:aws:s3:::b/secret/abc", Map.of())).isEqualTo(Decision.ALLOW);
        assertThat(eval(p, ALT, "s3:PutObject", "arn:aws:s3:::b/x", Map.of())).isEqualTo(Decision.NONE);
        assertThat(eval(p, ALT, "s3:GetObject", "arn:aws:s3:::B/x", Map.of())).isEqualTo(Decision.NONE);
        S3Policy not = parse("{\"Effect\":\"Deny\",\"Principal\":\"*\",\"NotAction\":\"s3:GetObject\","
                + "\"NotResource\":\"arn:aws:s3:::b/public/*\"}");
        assertThat(eval(not, ALT, "s3:PutObject", "arn:aws:s3:::b/x", Map.of())).isEqualTo(Decision.DENY);
        assertThat(eval(not, ALT, "s3:PutObject", "arn:aws:s3:::b/public/x", Map.of())).isEqualTo(Decision.NONE);
        assertThat(eval(not, ALT, "s3:GetObject", "arn:aws:s3:::b/x", Map.of())).isEqualTo(Decision.NONE);
    }

    @Test
    void conditionsFollowIamSemantics() {
        S3Policy p = parse("{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:ListBucket\","
                + "\"Resource\":\"arn:aws:s3:::b\",\"Condition\":{"
                + "\"StringLike\":{\"s3:prefix\":[\"home/*\",\"pub/*\"]},"
                + "\"NumericLessThanEquals\":{\"s3:max-keys\":\"100\"},"
                + "\"IpAddress\":{\"aws:SourceIp\":[\"10.0.0.0/8\",\"::1/128\"]},"
                + "\"Bool\":{\"aws:SecureTransport\":false},"
                + "\"StringNotEqualsIfExists\":{\"aws:Referer\":\"http://evil\"}}}");
        Map<String, String> ok = Map.of("s3:prefix", "home/a", "s3:max-keys", "50", "aws:sourceip", "10.1.2.3",
                "aws:securetransport", "false");
        assertThat(eval(p, ALT, "s3:ListBucket", "arn:aws:s3:::b", ok)).isEqualTo(Decision.ALLOW);
        assertThat(eval(p, ALT, "s3:ListBucket", "arn:aws:s3:::b", with(ok, "aws:sourceip", "::1")))
                .isEqualTo(Decision.ALLOW);
        for (Map<String, String> bad : List.of(with(ok, "s3:prefix", "etc/"), with(ok, "s3:max-keys", "1000"),
                with(ok, "aws:sourceip", "192.168.0.1"), with(ok, "aws:securetransport", "true"),
                with(ok, "aws:referer", "http://evil"), without(ok, "s3:prefix"))) {
            assertThat(eval(p, ALT, "s3:ListBucket", "arn:aws:s3:::b", bad)).as(bad.toString()).isEqualTo(Decision.NONE);
        }
        // A missing key fails a positive operator and passes a negated one; Null tests presence.
        S3Policy n = parse("{\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"s3:PutObject\",\"Resource\":\"*\","
                + "\"Condition\":{\"StringNotEquals\":{\"s3:x-amz-acl\":\"private\"},\"Null\":{\"s3:x-amz-grant-read\":\"true\"}}}");
        assertThat(eval(n, ALT, "s3:PutObject", "arn:aws:s3:::b/k", Map.of())).isEqualTo(Decision.DENY);
        assertThat(eval(n, ALT, "s3:PutObject", "arn:aws:s3:::b/k", Map.of("s3:x-amz-acl", "private")))
                .isEqualTo(Decision.NONE);
        assertThat(eval(n, ALT, "s3:PutObject", "arn:aws:s3:::b/k", Map.of("s3:x-amz-grant-read", "id=x")))
                .isEqualTo(Decision.NONE);
        S3Policy date = parse("{\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"s3:*\",\"Resource\":\"*\","
                + "\"Condition\":{\"DateGreaterThan\":{\"aws:CurrentTime\":\"2020-01-01T00:00:00Z\"}}}");
        assertThat(eval(date, ALT, "s3:GetObject", "arn:aws:s3:::b/k", Map.of("aws:currenttime", "2026-12-03T12:00:00Z")))
                .isEqualTo(Decision.DENY);
        assertThat(eval(date, ALT, "s3:GetObject", "arn:aws:s3:::b/k", Map.of("aws:currenttime", "2019-12-03T12:00:00Z")))
                .isEqualTo(Decision.NONE);
        S3Policy tag = parse("{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:GetObject\",\"Resource\":\"*\","
                + "\"Condition\":{\"StringEquals\":{\"s3:ExistingObjectTag/Security\":\"public\"}}}");
        assertThat(tag.usesExistingObjectTags()).isTrue();
        assertThat(eval(tag, ALT, "s3:GetObject", "arn:aws:s3:::b/k", Map.of("s3:existingobjecttag/Security", "public")))
                .isEqualTo(Decision.ALLOW);
        assertThat(eval(tag, ALT, "s3:GetObject", "arn:aws:s3:::b/k", Map.of("s3:existingobjecttag/security", "public")))
                .isEqualTo(Decision.NONE);
    }

    @Test
    void documentsS3RefusesAreMalformedAndUnevaluatedConditionsNotImplemented() {
        String ok = "\"Principal\":\"*\",\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::b/*\"";
        assertThat(refusal("{\"Effect\":\"Allow\"," + ok + "}")).isNull();
        for (String bad : List.of("{\"Effect\":\"allow\"," + ok + "}",
                "{\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\",\"Resource\":\"*\"}",
                "{\"Effect\":\"Allow\",\"NotPrincipal\":{\"AWS\":\"alt-id\"},\"Action\":\"s3:GetObject\",\"Resource\":\"*\"}",
                "{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"stranger\"},\"Action\":\"s3:GetObject\",\"Resource\":\"*\"}",
                "{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"s3.amazonaws.com\"},\"Action\":\"s3:GetObject\",\"Resource\":\"*\"}",
                "{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":[],\"Resource\":\"*\"}",
                "{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:Fly\",\"Resource\":\"*\"}",
                "{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:GetObject\",\"Resource\":\"b/*\"}",
                "{\"Effect\":\"Allow\"," + ok + ",\"Extra\":1}",
                "{\"Effect\":\"Allow\"," + ok + ",\"Condition\":{\"Bool\":{\"aws:SecureTransport\":\"maybe\"}}}",
                "{\"Effect\":\"Allow\"," + ok + ",\"Condition\":{\"NullIfExists\":{\"s3:prefix\":\"true\"}}}",
                "{\"Effect\":\"Allow\"," + ok + ",\"Condition\":{\"StringEquals\":{\"my:key\":\"v\"}}}")) {
            assertThat(refusal(bad)).as(bad).isEqualTo(S3ErrorCode.MALFORMED_POLICY);
        }
        assertThat(refusal("{\"Effect\":\"Deny\"," + ok + ",\"Condition\":{\"StringEquals\":{\"aws:SourceVpce\":\"v\"}}}"))
                .isEqualTo(S3ErrorCode.NOT_IMPLEMENTED);
        assertThat(refusal("{\"Effect\":\"Deny\"," + ok
                + ",\"Condition\":{\"ForAllValues:StringEquals\":{\"s3:RequestObjectTagKeys\":\"v\"}}}"))
                .isEqualTo(S3ErrorCode.NOT_IMPLEMENTED);
        assertThatThrownBy(() -> S3Policy.parse("{\"Statement\":[]}", USERS)).isInstanceOf(S3Exception.class);
        assertThatThrownBy(() -> S3Policy.parse("{\"Version\":\"2012-10-17\",\"Version\":\"2012-10-17\","
                + "\"Statement\":{\"Effect\":\"Allow\"," + ok + "}}", USERS)).isInstanceOf(S3Exception.class);
        assertThatThrownBy(() -> S3Policy.parse("{\"Statement\":{\"Effect\":\"Allow\"," + ok + ",\"Sid\":\""
                + "x".repeat(S3Policy.MAX_BYTES) + "\"}}", USERS)).isInstanceOf(S3Exception.class);
        assertThat(S3Policy.parse("{\"Statement\":{\"Effect\":\"Allow\"," + ok + "}}", USERS).isPublic()).isTrue();
    }

    private static Map<String, String> with(Map<String, String> m, String k, String v) {
        Map<String, String> out = new java.util.HashMap<>(m);
        out.put(k, v);
        return out;
    }

    private static Map<String, String> without(Map<String, String> m, String k) {
        Map<String, String> out = new java.util.HashMap<>(m);
        out.remove(k);
        return out;
    }
}
