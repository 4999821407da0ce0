package io.wcache.s3.request;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.wcache.s3.error.S3ErrorCode;
import io.wcache.s3.error.S3Exception;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class S3RequestParserTest {
    static final S3RequestParser PARSER = new S3RequestParser(Set.of("s3.local", "localhost"));

    static HttpHeaders headers(String... kv) {
        HttpHeaders h = new DefaultHttpHeaders().set("Host", "127.0.0.1:9000");
        for (int i = 0; i < kv.length; i += 2) {
            h.add(kv[i], kv[i + 1]);
        }
        return h;
    }

    static S3Request parse(String method, String uri, String... kv) {
        return PARSER.parse(method, uri, headers(kv));
    }

    static S3ErrorCode error(String method, String uri, String... kv) {
        try {
            parse(method, uri, kv);
        } catch (S3Exception e) {
            return e.code();
        }
        throw new AssertionError("accepted " + method + " " + uri);
    }

    @Test
    void aclRequestsAreParsedAndLeftToTheAclChecks() {
        // canned ACLs and grant headers are judged by S3Acl (worker AclEndToEndTest), not refused by the parser
        assertThat(parse("PUT", "/b/k?acl", "Content-Length", "0", "x-amz-acl", "private").cannedAcl()).contains("private");
        assertThat(parse("PUT", "/b/k?acl", "Content-Length", "0", "x-amz-acl", "public-read").operation())
                .isEqualTo(S3Operation.PUT_OBJECT_ACL);
        assertThat(parse("PUT", "/b?acl", "Content-Length", "0", "x-amz-grant-read", "id=someone").operation())
                .isEqualTo(S3Operation.PUT_BUCKET_ACL);
    }

    @ParameterizedTest(name = "{0} {1} -> {2}")
    @CsvSource({
            "GET, /, LIST_BUCKETS",
            "HEAD, /b, HEAD_BUCKET",
            "PUT, /bucket, CREATE_BUCKET",
            "DELETE, /b/, DELETE_BUCKET",
            "GET, /b, LIST_OBJECTS",
            "GET, /b?list-type=2&prefix=x, LIST_OBJECTS_V2",
            "GET, /b?location, GET_BUCKET_LOCATION",
            "GET, /b?uploads, LIST_MULTIPART_UPLOADS",
            "POST, /b?delete, DELETE_OBJECTS",
            "GET, /b/k, GET_OBJECT",
            "GET, /b/k?x-id=GetObject, GET_OBJECT",
            "HEAD, /b/k?partNumber=2, HEAD_OBJECT",
            "PUT, /b/k, PUT_OBJECT",
            "DELETE, /b/k, DELETE_OBJECT",
            "POST, /b/k?uploads, CREATE_MULTIPART_UPLOAD",
            "PUT, /b/k?partNumber=3&uploadId=u1, UPLOAD_PART",
            "POST, /b/k?uploadId=u1, COMPLETE_MULTIPART_UPLOAD",
            "DELETE, /b/k?uploadId=u1, ABORT_MULTIPART_UPLOAD",
            "GET, /b/k?uploadId=u1, LIST_PARTS",
            "GET, /b?acl, GET_BUCKET_ACL",
            "PUT, /b?acl, PUT_BUCKET_ACL",
            "GET, /b/k?acl, GET_OBJECT_ACL",
            "PUT, /b/k?acl, PUT_OBJECT_ACL",
            "PUT, /b/k?tagging, PUT_OBJECT_TAGGING",
            "GET, /b/k?tagging, GET_OBJECT_TAGGING",
            "DELETE, /b/k?tagging, DELETE_OBJECT_TAGGING",
            "GET, /b/k?attributes, GET_OBJECT_ATTRIBUTES",
            "GET, /b?versioning, GET_BUCKET_VERSIONING",
            "PUT, /b?versioning, PUT_BUCKET_VERSIONING",
            "GET, /b?versions, LIST_OBJECT_VERSIONS",
            "GET, /b?policy, GET_BUCKET_POLICY",
            "PUT, /b?policy, PUT_BUCKET_POLICY",
            "DELETE, /b?policy, DELETE_BUCKET_POLICY",
            "GET, /b?policyStatus, GET_BUCKET_POLICY_STATUS",
            "GET, /b?tagging, GET_BUCKET_CONFIG",
            "DELETE, /b?cors, DELETE_BUCKET_CONFIG",
            "PUT, /b?cors, NOT_IMPLEMENTED",
            "GET, /b/k?retention, NOT_IMPLEMENTED",
            "POST, /b/k?restore, NOT_IMPLEMENTED"})
    void operationIsDecidedFromMethodAddressingAndSubresources(String method, String uri, S3Operation op) {
        String[] kv = method.equals("PUT")
                ? new String[] {"Content-Length", "0"} : new String[0];
        assertThat(parse(method, uri, kv).operation()).isEqualTo(op);
    }

    @Test
    void copyHeaderMakesCopyOperations() {
        S3Request copy = parse("PUT", "/b/dst", "x-amz-copy-source", "/src-bucket/some%20dir/f%C3%BC.txt?versionId=v1",
                "x-amz-metadata-directive", "REPLACE", "x-amz-copy-source-if-match", "\"abc\"");
        assertThat(copy.operation()).isEqualTo(S3Operation.COPY_OBJECT);
        assertThat(copy.copySource()).contains(new CopySource("src-bucket", "some dir/fü.txt", Optional.of("v1")));
        assertThat(copy.replaceMetadata()).isTrue();
        assertThat(copy.copySourceConditions().ifMatch()).containsExactly("\"abc\"");
        S3Request partCopy = parse("PUT", "/b/dst?partNumber=1&uploadId=u", "x-amz-copy-source", "src/k",
                "x-amz-copy-source-range", "bytes=0-99");
        assertThat(partCopy.operation()).isEqualTo(S3Operation.UPLOAD_PART_COPY);
        assertThat(partCopy.copySourceRange()).contains(new ByteRange.Closed(0, 99));
        assertThat(error("PUT", "/b/dst", "x-amz-copy-source", "nokey")).isEqualTo(S3ErrorCode.INVALID_ARGUMENT);
        assertThat(error("PUT", "/b/dst?partNumber=1&uploadId=u", "x-amz-copy-source", "s/k",
                "x-amz-copy-source-range", "bytes=5-")).isEqualTo(S3ErrorCode.INVALID_ARGUMENT);
        assertThat(error("PUT", "/b/dst", "x-amz-copy-source", "s/k", "x-amz-metadata-directive", "MERGE"))
                .isEqualTo(S3ErrorCode.INVALID_ARGUMENT);
    }

    @Test
    void pathStyleAndVirtualHostAddressTheSameObject() {
        S3Request path = PARSER.parse("GET", "/my-bucket/dir/a%20b%2Bc", headers());
        S3Request vhost = PARSER.parse("GET", "/dir/a%20b%2Bc", headers("Host", "my-bucket.s3.local:9000"));
        vhost.headers().set("Host", "my-bucket.s3.local:9000");
        S3Request vhost2 = PARSER.parse("GET", "/dir/a%20b%2Bc",
                new DefaultHttpHeaders().set("Host", "my-bucket.s3.local:9000"));
        assertThat(path.bucket()).contains("my-bucket");
        assertThat(path.key()).contains("dir/a b+c");
        assertThat(vhost2.bucket()).isEqualTo(path.bucket());
        assertThat(vhost2.key()).isEqualTo(path.key());
        S3Request serviceHost = PARSER.parse("GET", "/", new DefaultHttpHeaders().set("Host", "s3.local"));
        assertThat(serviceHost.operation()).isEqualTo(S3Operation.LIST_BUCKETS);
        S3Request vhostBucket = PARSER.parse("GET", "/?list-type=2", new DefaultHttpHeaders().set("Host", "b1.localhost"));
        assertThat(vhostBucket.bucket()).contains("b1");
        assertThat(vhostBucket.operation()).isEqualTo(S3Operation.LIST_OBJECTS_V2);
    }

    @Test
    void keysKeepEveryByteTheClientEncoded() {
        assertThat(parse("GET", "/b/a//b/").key()).contains("a//b/");
        assertThat(parse("GET", "/b/%E2%98%83+%25").key()).contains("☃+%");
        assertThat(parse("GET", "/b/./../x").key()).contains("./../x");
    }

    @Test
    void invalidUtf8OrBadEscapesAreRefusedNotReplaced() {
        assertThat(error("GET", "/b/%FF%FE")).isEqualTo(S3ErrorCode.INVALID_URI);
        assertThat(error("GET", "/b/%C3")).isEqualTo(S3ErrorCode.INVALID_URI);
        assertThat(error("GET", "/b/%zz")).isEqualTo(S3ErrorCode.INVALID_URI);
        assertThat(error("GET", "/b/abc%4")).isEqualTo(S3ErrorCode.INVALID_URI);
        assertThat(error("GET", "/b?prefix=%ED%A0%80")).isEqualTo(S3ErrorCode.INVALID_URI);
        assertThat(parse("GET", "/b/%D9%A0%D9%A0").key()).contains("\u0660\u0660");
    }

    @Test
    void keyLongerThan1024Utf8BytesIsKeyTooLong() {
        assertThat(parse("GET", "/b/" + "a".repeat(1024)).key()).get().asString().hasSize(1024);
        assertThat(error("GET", "/b/" + "a".repeat(1025))).isEqualTo(S3ErrorCode.KEY_TOO_LONG);
        String threeByte = "%E2%98%83".repeat(342); // 1026 bytes in 342 characters
        assertThat(error("GET", "/b/" + threeByte)).isEqualTo(S3ErrorCode.KEY_TOO_LONG);
    }

    @Test
    void listParametersAreParsedAndValidated() {
        S3Request v2 = parse("GET", "/b?list-type=2&prefix=photos%2F&delimiter=%7C%7C&max-keys=5000"
                + "&continuation-token=tok&start-after=photos%2Fa&encoding-type=url&fetch-owner=true");
        ListParams p = v2.list().orElseThrow();
        assertThat(p.prefix()).isEqualTo("photos/");
        assertThat(p.delimiter()).contains("||");
        assertThat(p.maxKeys()).isEqualTo(1000);
        assertThat(p.continuationToken()).contains("tok");
        assertThat(p.startAfter()).contains("photos/a");
        assertThat(p.urlEncoded()).isTrue();
        assertThat(p.fetchOwner()).isTrue();
        ListParams v1 = parse("GET", "/b?marker=m&max-keys=0").list().orElseThrow();
        assertThat(v1.marker()).contains("m");
        assertThat(v1.maxKeys()).isZero();
        assertThat(v1.delimiter()).isEmpty();
        assertThat(error("GET", "/b?max-keys=-1")).isEqualTo(S3ErrorCode.INVALID_ARGUMENT);
        assertThat(error("GET", "/b?max-keys=ten")).isEqualTo(S3ErrorCode.INVALID_ARGUMENT);
        assertThat(error("GET", "/b?encoding-type=base64")).isEqualTo(S3ErrorCode.INVALID_ARGUMENT);
        assertThat(parse("GET", "/b/k?uploadId=u&max-parts=7&part-number-marker=3").list().orElseThrow())
                .satisfies(lp -> {
                    assertThat(lp.maxKeys()).isEqualTo(7);
                    assertThat(lp.marker()).contains("3");
                });
    }

    @Test
    void rangeHeaderFormsResolveLikeS3() {
        assertThat(ByteRange.parseHeader("bytes=0-99").orElseThrow().resolve(50)).isEqualTo(new ByteRange.Span(0, 50));
        assertThat(ByteRange.parseHeader("bytes=10-").orElseThrow().resolve(50)).isEqualTo(new ByteRange.Span(10, 40));
        assertThat(ByteRange.parseHeader("bytes=-20").orElseThrow().resolve(50)).isEqualTo(new ByteRange.Span(30, 20));
        assertThat(ByteRange.parseHeader("bytes=-200").orElseThrow().resolve(50)).isEqualTo(new ByteRange.Span(0, 50));
        assertThat(new ByteRange.Span(30, 20).contentRange(50)).isEqualTo("bytes 30-49/50");
        for (String ignored : new String[] {"bytes=5-1", "bytes=a-b", "items=0-1", "bytes=0-1,4-5", "bytes=-", "bytes=1"}) {
            assertThat(ByteRange.parseHeader(ignored)).as(ignored).isEmpty();
        }
        for (String unsatisfiable : new String[] {"bytes=50-", "bytes=50-60", "bytes=-0"}) {
            assertThatThrownBy(() -> ByteRange.parseHeader(unsatisfiable).orElseThrow().resolve(50))
                    .isInstanceOfSatisfying(S3Exception.class, e -> {
                        assertThat(e.code()).isEqualTo(S3ErrorCode.INVALID_RANGE);
                        assertThat(e.error().httpStatus()).isEqualTo(416);
                    });
        }
        assertThatThrownBy(() -> ByteRange.parseHeader("bytes=0-").orElseThrow().resolve(0))
                .isInstanceOf(S3Exception.class);
        assertThat(parse("GET", "/b/k", "Range", "bytes=1-2").range()).contains(new ByteRange.Closed(1, 2));
    }

    @Test
    void conditionsFollowS3Precedence() {
        Instant lm = Instant.parse("2026-01-02T10:00:00.750Z");
        S3Request r = parse("GET", "/b/k", "If-Match", "\"e1\", \"e2\"", "If-Unmodified-Since", "Thu, 01 Jan 2026 00:00:00 GMT");
        // A matching If-Match wins over a failing If-Unmodified-Since.
        assertThat(r.conditions().evaluateRead("\"e2\"", lm, true)).isEqualTo(Conditions.Outcome.PROCEED);
        assertThat(r.conditions().evaluateRead("e3", lm, true)).isEqualTo(Conditions.Outcome.PRECONDITION_FAILED);
        S3Request nm = parse("GET", "/b/k", "If-None-Match", "\"e1\"", "If-Modified-Since", "Sat, 03 Jan 2026 00:00:00 GMT");
        assertThat(nm.conditions().evaluateRead("e1", lm, true)).isEqualTo(Conditions.Outcome.NOT_MODIFIED);
        assertThat(nm.conditions().evaluateRead("e1", lm, false)).isEqualTo(Conditions.Outcome.PRECONDITION_FAILED);
        // A non-matching If-None-Match wins over If-Modified-Since.
        assertThat(nm.conditions().evaluateRead("e9", lm, true)).isEqualTo(Conditions.Outcome.PROCEED);
        S3Request ims = parse("GET", "/b/k", "If-Modified-Since", "Fri, 02 Jan 2026 10:00:00 GMT");
        assertThat(ims.conditions().evaluateRead("e", lm, true)).isEqualTo(Conditions.Outcome.NOT_MODIFIED);
        assertThat(parse("GET", "/b/k", "If-Modified-Since", "not a date").conditions().isEmpty()).isTrue();
        S3Request put = parse("PUT", "/b/k", "Content-Length", "1", "If-None-Match", "*");
        assertThat(put.conditions().evaluateWrite(Optional.of("\"x\""))).isEqualTo(Conditions.Outcome.PRECONDITION_FAILED);
        assertThat(put.conditions().evaluateWrite(Optional.empty())).isEqualTo(Conditions.Outcome.PROCEED);
        S3Request ifMatchPut = parse("PUT", "/b/k", "Content-Length", "1", "If-Match", "\"x\"");
        assertThat(ifMatchPut.conditions().evaluateWrite(Optional.empty())).isEqualTo(Conditions.Outcome.PRECONDITION_FAILED);
        assertThat(ifMatchPut.conditions().evaluateWrite(Optional.of("x"))).isEqualTo(Conditions.Outcome.PROCEED);
    }

    @Test
    void userMetadataIsDecodedFromRfc2047AndRawUtf8() {
        String rawUtf8AsLatin1 = new String("Zürich ☃".getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
        S3Request r = parse("PUT", "/b/k", "Content-Length", "0",
                "x-amz-meta-City", "=?UTF-8?B?" + Base64.getEncoder().encodeToString("Zürich ☃".getBytes(StandardCharsets.UTF_8)) + "?=",
                "X-Amz-Meta-raw", rawUtf8AsLatin1,
                "x-amz-meta-q", "=?utf-8?Q?caf=C3=A9_au_lait?=",
                "x-amz-meta-plain", "ascii text",
                "x-amz-acl", "private");
        assertThat(r.userMetadata()).containsExactlyInAnyOrderEntriesOf(Map.of(
                "city", "Zürich ☃", "raw", "Zürich ☃", "q", "café au lait", "plain", "ascii text"));
        assertThat(r.cannedAcl()).contains("private");
        assertThat(UserMetadata.decodeValue(UserMetadata.encodeValue("Zürich ☃"))).isEqualTo("Zürich ☃");
        assertThat(UserMetadata.encodeValue("ascii")).isEqualTo("ascii");
        // Answered as ISO-8859-1 text when every character is printable ISO-8859-1, else as stored.
        assertThat(UserMetadata.responseValue(UserMetadata.encodeValue("caf\u00e9"))).isEqualTo("caf\u00e9");
        assertThat(UserMetadata.responseValue(UserMetadata.encodeValue("Z\u00fcrich \u2603")))
                .isEqualTo(UserMetadata.encodeValue("Z\u00fcrich \u2603"));
        assertThat(UserMetadata.responseValue(UserMetadata.encodeValue("a\u0085b")))
                .isEqualTo(UserMetadata.encodeValue("a\u0085b"));
        assertThat(UserMetadata.responseValue("ascii")).isEqualTo("ascii");
        assertThat(error("PUT", "/b/k", "Content-Length", "0", "x-amz-meta-big", "x".repeat(2100)))
                .isEqualTo(S3ErrorCode.METADATA_TOO_LARGE);
    }

    @Test
    void bodyHeadersAreValidated() {
        S3Request r = parse("PUT", "/b/k", "Content-Length", "11", "Content-Type", "text/plain",
                "Content-MD5", "XrY7u+Ae7tCTyyK7j1rNww==");
        assertThat(r.contentLength()).hasValue(11);
        assertThat(r.contentType()).contains("text/plain");
        assertThat(r.contentMd5()).contains("XrY7u+Ae7tCTyyK7j1rNww==");
        assertThat(error("PUT", "/b/k", "Content-Length", "1", "Content-MD5", "bm90LW1kNQ=="))
                .isEqualTo(S3ErrorCode.INVALID_DIGEST);
        assertThat(error("PUT", "/b/k")).isEqualTo(S3ErrorCode.MISSING_CONTENT_LENGTH);
        assertThat(parse("PUT", "/b/k", "Transfer-Encoding", "chunked").contentLength()).isEmpty();
        assertThat(error("PUT", "/b/k", "Content-Length", "abc")).isEqualTo(S3ErrorCode.INVALID_ARGUMENT);
        assertThat(error("PUT", "/b/k", "Content-Length", "100", "x-amz-content-sha256",
                "STREAMING-AWS4-HMAC-SHA256-PAYLOAD")).isEqualTo(S3ErrorCode.MISSING_CONTENT_LENGTH);
        S3Request chunked = parse("PUT", "/b/k", "Content-Length", "100", "Content-Encoding", "aws-chunked",
                "x-amz-decoded-content-length", "42", "x-amz-content-sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER");
        assertThat(chunked.awsChunked()).isTrue();
        assertThat(chunked.payloadLength()).hasValue(42);
        assertThat(chunked.storedContentEncoding()).isEmpty();
        assertThat(parse("PUT", "/b/k", "Content-Length", "100", "Content-Encoding", "aws-chunked, gzip",
                "x-amz-decoded-content-length", "42", "x-amz-content-sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER")
                .storedContentEncoding()).contains("gzip");
        // Content-Encoding aws-chunked on a body that is not framed (no STREAMING- mode): the body is
        // the object's bytes and the token is dropped from what is stored, as on S3 (ceph/s3-tests
        // test_object_content_encoding_aws_chunked).
        S3Request labelled = parse("PUT", "/b/k", "Content-Length", "100", "Content-Encoding", "aws-chunked",
                "x-amz-content-sha256", "UNSIGNED-PAYLOAD");
        assertThat(labelled.awsChunked()).isFalse();
        assertThat(labelled.payloadLength()).hasValue(100);
        assertThat(labelled.storedContentEncoding()).isEmpty();
        assertThat(parse("PUT", "/b/k", "Content-Length", "0", "Content-Encoding", "aws-chunked, aws-chunked")
                .storedContentEncoding()).isEmpty();
        assertThat(parse("PUT", "/b/k", "Content-Length", "0", "Content-Encoding", "gzip, aws-chunked")
                .storedContentEncoding()).contains("gzip");
        // A decoded length announces chunk framing, which only a STREAMING- mode lets us strip.
        assertThat(error("PUT", "/b/k", "Content-Length", "100", "Content-Encoding", "aws-chunked",
                "x-amz-decoded-content-length", "42", "x-amz-content-sha256", "UNSIGNED-PAYLOAD"))
                .isEqualTo(S3ErrorCode.INVALID_REQUEST);
        assertThat(error("PUT", "/b/k", "Content-Length", "100", "x-amz-decoded-content-length", "42"))
                .isEqualTo(S3ErrorCode.INVALID_REQUEST);
    }

    @Test
    void standardHeadersToStoreAreKeyedInLowerCaseWithoutTheTransferEncodingAndWithNonAsciiEncoded() {
        S3Request r = parse("PUT", "/b/k", "Content-Length", "100", "Cache-Control", "max-age=60",
                "Content-Disposition", "attachment; filename=\"caf\u00c3\u00a9.txt\"", "Content-Encoding", "aws-chunked,gzip",
                "Content-Language", "fr", "Expires", "not a date", "x-amz-decoded-content-length", "42",
                "x-amz-content-sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER");
        assertThat(r.standardHeaders()).containsExactly(
                Map.entry("cache-control", "max-age=60"),
                // Raw UTF-8 (seen by Netty as ISO-8859-1) is kept as one RFC 2047 encoded-word.
                Map.entry("content-disposition", UserMetadata.encodeValue("attachment; filename=\"caf\u00e9.txt\"")),
                Map.entry("content-encoding", "gzip"),
                Map.entry("content-language", "fr"),
                Map.entry("expires", "not a date"));
        assertThat(parse("PUT", "/b/k", "Content-Length", "1").standardHeaders()).isEmpty();
    }

    @Test
    void responseHeaderOverridesAreExposedByHeaderName() {
        S3Request r = parse("GET", "/b/k?response-content-type=text%2Fplain&response-content-disposition=attachment%3B%20f%3D1");
        assertThat(r.responseHeaderOverrides()).containsExactly(
                Map.entry("Content-Type", "text/plain"), Map.entry("Content-Disposition", "attachment; f=1"));
    }

    @Test
    void errorContextFollowsTheOperation() {
        assertThat(parse("GET", "/b").errorContext()).isEqualTo(io.wcache.s3.error.ErrorContext.BUCKET);
        assertThat(parse("GET", "/b/k").errorContext()).isEqualTo(io.wcache.s3.error.ErrorContext.OBJECT);
        assertThat(parse("GET", "/b/k", "If-Match", "\"e\"").errorContext())
                .isEqualTo(io.wcache.s3.error.ErrorContext.CONDITIONAL_OBJECT);
        assertThat(parse("DELETE", "/b/k?uploadId=u").errorContext())
                .isEqualTo(io.wcache.s3.error.ErrorContext.MULTIPART_UPLOAD);
    }

    @Test
    void partNumbersAreBetween1And10000() {
        assertThat(parse("GET", "/b/k?partNumber=10000").partNumber()).hasValue(10000);
        assertThat(error("GET", "/b/k?partNumber=0")).isEqualTo(S3ErrorCode.INVALID_ARGUMENT);
        assertThat(error("PUT", "/b/k?partNumber=10001&uploadId=u", "Content-Length", "1"))
                .isEqualTo(S3ErrorCode.INVALID_ARGUMENT);
        assertThat(error("PUT", "/b/k?partNumber=x&uploadId=u", "Content-Length", "1"))
                .isEqualTo(S3ErrorCode.INVALID_ARGUMENT);
        assertThat(error("PUT", "/b/k?partNumber=1", "Content-Length", "1")).isEqualTo(S3ErrorCode.INVALID_REQUEST);
    }

    @Test
    void unsupportedMethodsAndBadBucketNamesAreRefused() {
        assertThat(error("PATCH", "/b/k")).isEqualTo(S3ErrorCode.METHOD_NOT_ALLOWED);
        assertThat(error("DELETE", "/")).isEqualTo(S3ErrorCode.METHOD_NOT_ALLOWED);
        assertThat(error("PUT", "/Bad_Bucket")).isEqualTo(S3ErrorCode.INVALID_BUCKET_NAME);
        assertThat(error("PUT", "/ab")).isEqualTo(S3ErrorCode.INVALID_BUCKET_NAME);
        assertThat(error("PUT", "/192.168.1.1")).isEqualTo(S3ErrorCode.INVALID_BUCKET_NAME);
        // a dash next to a dot (ceph/s3-tests test_bucket_create_naming_dns_dash_dot, _dot_dash)
        assertThat(error("PUT", "/foo-.bar")).isEqualTo(S3ErrorCode.INVALID_BUCKET_NAME);
        assertThat(error("PUT", "/foo.-bar")).isEqualTo(S3ErrorCode.INVALID_BUCKET_NAME);
        assertThat(error("GET", "b/k")).isEqualTo(S3ErrorCode.INVALID_URI);
        assertThat(parse("GET", "http://127.0.0.1:9000/b/k?x=1").key()).contains("k");
    }
}
