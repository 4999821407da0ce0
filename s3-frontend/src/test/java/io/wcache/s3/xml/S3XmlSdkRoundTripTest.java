package io.wcache.s3.xml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wcache.s3.error.S3Error;
import io.wcache.s3.error.S3ErrorCode;
import io.wcache.s3.request.ListParams;
import io.wcache.s3.request.S3Operation;
import io.wcache.s3.request.S3Request;
import io.wcache.s3.request.S3RequestParser;
import io.wcache.s3.testing.CapturingHttpClient;
import io.wcache.s3.testing.SdkSigned;
import io.wcache.s3.xml.S3XmlModel.BucketEntry;
import io.wcache.s3.xml.S3XmlModel.DeleteError;
import io.wcache.s3.xml.S3XmlModel.DeleteResult;
import io.wcache.s3.xml.S3XmlModel.ListPage;
import io.wcache.s3.xml.S3XmlModel.ObjectEntry;
import io.wcache.s3.xml.S3XmlModel.Owner;
import io.wcache.s3.xml.S3XmlModel.PartEntry;
import io.wcache.s3.xml.S3XmlModel.UploadEntry;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.EncodingType;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * Response documents are read back by the SDK's own unmarshallers, and request bodies the SDK
 * marshals are read by our parsers: the two sides of the wire agree.
 */
class S3XmlSdkRoundTripTest {
    static final S3RequestParser PARSER = new S3RequestParser(Set.of());
    static final Instant T = Instant.parse("2026-01-02T03:04:05.678Z");
    static final Owner OWNER = new Owner("wcache-owner-id", "wcache");
    static CapturingHttpClient http;
    static S3Client s3;

    @BeforeAll
    static void start() {
        http = new CapturingHttpClient();
        s3 = CapturingHttpClient.s3Client(http);
    }

    @AfterAll
    static void stop() {
        s3.close();
    }

    static S3Request lastRequest() {
        SdkSigned r = http.last();
        return PARSER.parse(r.method(), r.uri(), r.headers());
    }

    @Test
    void listObjectsV2WithUrlEncodingIsReadByTheSdk() {
        String odd = "dir/a b+c&<d>/\u0001ctl/ünï";
        http.respond(r -> {
            S3Request req = PARSER.parse(r.method(), r.uri(), r.headers());
            ListParams p = req.list().orElseThrow();
            return S3XmlWriter.listObjectsV2("bucket", p, new ListPage(
                    List.of(new ObjectEntry(odd, T, "\"etag1\"", 42, "STANDARD")),
                    List.of("dir/x y/"), true, Optional.of("next-token")), Optional.of(OWNER));
        }, Map.of());
        var resp = s3.listObjectsV2(r -> r.bucket("bucket").prefix("dir/").delimiter("/").maxKeys(2)
                .encodingType(EncodingType.URL).fetchOwner(true).continuationToken("tok"));
        S3Request req = lastRequest();
        assertThat(req.operation()).isEqualTo(S3Operation.LIST_OBJECTS_V2);
        assertThat(req.list().orElseThrow().urlEncoded()).isTrue();
        // The SDK decodes encoding-type=url responses itself: the key comes back byte for byte.
        assertThat(resp.contents().get(0).key()).isEqualTo(odd);
        assertThat(resp.contents().get(0).size()).isEqualTo(42L);
        assertThat(resp.contents().get(0).lastModified()).isEqualTo(T);
        assertThat(resp.contents().get(0).eTag()).isEqualTo("\"etag1\"");
        assertThat(resp.contents().get(0).owner().id()).isEqualTo(OWNER.id());
        assertThat(resp.commonPrefixes().get(0).prefix()).isEqualTo("dir/x y/");
        assertThat(resp.isTruncated()).isTrue();
        assertThat(resp.nextContinuationToken()).isEqualTo("next-token");
        assertThat(resp.continuationToken()).isEqualTo("tok");
        assertThat(resp.keyCount()).isEqualTo(2);
        assertThat(resp.maxKeys()).isEqualTo(2);
        assertThat(resp.encodingTypeAsString()).isEqualTo("url");
    }

    @Test
    void listObjectsV1IsReadByTheSdk() {
        http.respond(r -> {
            S3Request req = PARSER.parse(r.method(), r.uri(), r.headers());
            return S3XmlWriter.listObjectsV1("bucket", req.list().orElseThrow(), new ListPage(
                    List.of(new ObjectEntry("a&b", T, "\"e\"", 1, "STANDARD")), List.of("p/"), true, Optional.of("a&b")));
        }, Map.of());
        var resp = s3.listObjects(r -> r.bucket("bucket").marker("m").delimiter("/"));
        assertThat(resp.contents().get(0).key()).isEqualTo("a&b");
        assertThat(resp.marker()).isEqualTo("m");
        assertThat(resp.nextMarker()).isEqualTo("a&b");
        assertThat(resp.commonPrefixes().get(0).prefix()).isEqualTo("p/");
    }

    @Test
    void listBucketsAndLocationAreReadByTheSdk() {
        http.respond(r -> S3XmlWriter.listBuckets(OWNER, List.of(new BucketEntry("b1", T), new BucketEntry("b2", T))), Map.of());
        var buckets = s3.listBuckets();
        assertThat(buckets.buckets()).extracting(b -> b.name()).containsExactly("b1", "b2");
        assertThat(buckets.buckets().get(0).creationDate()).isEqualTo(T);
        assertThat(buckets.owner().displayName()).isEqualTo("wcache");
        http.respond(r -> S3XmlWriter.bucketLocation("eu-west-1"), Map.of());
        assertThat(s3.getBucketLocation(r -> r.bucket("b1")).locationConstraintAsString()).isEqualTo("eu-west-1");
        assertThat(lastRequest().operation()).isEqualTo(S3Operation.GET_BUCKET_LOCATION);
        http.respond(r -> S3XmlWriter.bucketLocation("us-east-1"), Map.of());
        assertThat(s3.getBucketLocation(r -> r.bucket("b1")).locationConstraintAsString()).isNullOrEmpty();
    }

    @Test
    void deleteObjectsBodyFromTheSdkParsesAndTheResultIsReadBack() {
        List<String> keys = List.of("a", "dir/ü b&c", "x<y>");
        http.respond(r -> {
            var parsed = S3XmlParser.parseDelete(r.body());
            assertThat(parsed.objects()).extracting(S3XmlModel.ObjectIdentifier::key).containsExactlyElementsOf(keys);
            return S3XmlWriter.deleteResult(new DeleteResult(List.of("a", "dir/ü b&c"),
                    List.of(new DeleteError("x<y>", "AccessDenied", "Access Denied"))), parsed.quiet());
        }, Map.of());
        var resp = s3.deleteObjects(r -> r.bucket("bucket").delete(d -> d.objects(
                keys.stream().map(k -> ObjectIdentifier.builder().key(k).build()).toList())));
        assertThat(lastRequest().operation()).isEqualTo(S3Operation.DELETE_OBJECTS);
        assertThat(resp.deleted()).extracting(d -> d.key()).containsExactly("a", "dir/ü b&c");
        assertThat(resp.errors()).singleElement().satisfies(e -> {
            assertThat(e.key()).isEqualTo("x<y>");
            assertThat(e.code()).isEqualTo("AccessDenied");
        });
    }

    @Test
    void multipartDocumentsRoundTripThroughTheSdk() {
        http.respond(r -> S3XmlWriter.initiateMultipartUpload("bucket", "big/key", "upload-1"), Map.of());
        assertThat(s3.createMultipartUpload(r -> r.bucket("bucket").key("big/key")).uploadId()).isEqualTo("upload-1");
        assertThat(lastRequest().operation()).isEqualTo(S3Operation.CREATE_MULTIPART_UPLOAD);

        String etag = "\"" + "ab".repeat(16) + "-2\"";
        http.respond(r -> {
            var parsed = S3XmlParser.parseCompleteMultipartUpload(r.body());
            assertThat(parsed.parts()).extracting(S3XmlModel.CompletedPart::partNumber).containsExactly(1, 2);
            assertThat(parsed.parts().get(1).checksums()).containsKey(io.wcache.s3.checksum.ChecksumAlgorithm.CRC32);
            return S3XmlWriter.completeMultipartUpload("http://127.0.0.1:9000/bucket/big/key", "bucket", "big/key", etag);
        }, Map.of());
        var done = s3.completeMultipartUpload(r -> r.bucket("bucket").key("big/key").uploadId("upload-1")
                .multipartUpload(m -> m.parts(CompletedPart.builder().partNumber(1).eTag("\"e1\"").build(),
                        CompletedPart.builder().partNumber(2).eTag("\"e2\"").checksumCRC32("AAAAAA==").build())));
        assertThat(done.eTag()).isEqualTo(etag);
        assertThat(lastRequest().operation()).isEqualTo(S3Operation.COMPLETE_MULTIPART_UPLOAD);

        http.respond(r -> S3XmlWriter.listParts("bucket", "big/key", "upload-1", lastRequest().list().orElseThrow(),
                List.of(new PartEntry(1, T, "\"e1\"", 5 << 20), new PartEntry(2, T, "\"e2\"", 7)),
                true, Optional.of(2), OWNER), Map.of());
        var parts = s3.listParts(r -> r.bucket("bucket").key("big/key").uploadId("upload-1").maxParts(2));
        assertThat(parts.parts()).extracting(p -> p.size()).containsExactly(5L << 20, 7L);
        assertThat(parts.nextPartNumberMarker()).isEqualTo(2);
        assertThat(parts.isTruncated()).isTrue();

        http.respond(r -> S3XmlWriter.listMultipartUploads("bucket", lastRequest().list().orElseThrow(),
                List.of(new UploadEntry("big/key", "upload-1", T)), List.of(), false, Optional.empty(), Optional.empty(),
                OWNER), Map.of());
        var uploads = s3.listMultipartUploads(r -> r.bucket("bucket").prefix("big/"));
        assertThat(uploads.uploads()).singleElement().satisfies(u -> {
            assertThat(u.key()).isEqualTo("big/key");
            assertThat(u.uploadId()).isEqualTo("upload-1");
            assertThat(u.initiated()).isEqualTo(T);
        });
    }

    @Test
    void copyResultIsReadByTheSdk() {
        http.respond(r -> S3XmlWriter.copyObjectResult("\"cafe\"", T), Map.of());
        var resp = s3.copyObject(r -> r.sourceBucket("src").sourceKey("a b").destinationBucket("dst").destinationKey("c"));
        assertThat(resp.copyObjectResult().eTag()).isEqualTo("\"cafe\"");
        assertThat(resp.copyObjectResult().lastModified()).isEqualTo(T);
        S3Request req = lastRequest();
        assertThat(req.operation()).isEqualTo(S3Operation.COPY_OBJECT);
        assertThat(req.copySource().orElseThrow().key()).isEqualTo("a b");
    }

    @Test
    void errorDocumentBecomesTheSdksTypedException() {
        S3Error error = S3Error.of(S3ErrorCode.NO_SUCH_KEY, null, "/bucket/missing");
        http.respond(404, r -> S3XmlWriter.error(error, "req-1"), Map.of());
        assertThatThrownBy(() -> s3.getObjectAsBytes(r -> r.bucket("bucket").key("missing")))
                .isInstanceOfSatisfying(NoSuchKeyException.class, e -> {
                    assertThat(e.awsErrorDetails().errorCode()).isEqualTo("NoSuchKey");
                    assertThat(e.awsErrorDetails().errorMessage()).isEqualTo("The specified key does not exist.");
                    assertThat(e.requestId()).isEqualTo("req-1");
                });
        http.respond(503, r -> S3XmlWriter.error(S3Error.of(S3ErrorCode.SLOW_DOWN), "req-2"), Map.of());
        assertThatThrownBy(() -> s3.headBucket(r -> r.bucket("bucket"))).isInstanceOf(S3Exception.class);
    }
}
