package io.wcache.worker.e2e.s3;

import static io.wcache.worker.e2e.s3.S3Rig.BUCKET;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.ObjectAttributes;
import software.amazon.awssdk.services.s3.model.ObjectCannedACL;
import software.amazon.awssdk.services.s3.model.ObjectVersion;
import software.amazon.awssdk.services.s3.model.Permission;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * The sub-resources clients probe, through the AWS SDK v2 against a real worker, answered as an
 * AWS bucket with nothing configured answers them; and the error codes S3 uses where wcache
 * answered others before (If-Match on a missing key, a part number beyond the parts).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SubResourcesEndToEndTest {

    @TempDir
    static Path root;
    S3Rig rig;
    S3Client s3;

    @BeforeAll
    void start() {
        rig = new S3Rig(root);
        s3 = rig.client();
        for (String k : List.of("sub/one", "ver/one", "ver/dir/two")) {
            s3.putObject(b -> b.bucket(BUCKET).key(k), RequestBody.fromString("one"));
        }
    }

    @AfterAll
    void stop() {
        s3.close();
        rig.close();
    }

    private static void fails(Runnable call, int status, String code) {
        assertThatThrownBy(call::run).isInstanceOfSatisfying(S3Exception.class, e -> {
            assertThat(e.statusCode()).isEqualTo(status);
            assertThat(e.awsErrorDetails().errorCode()).isEqualTo(code);
        });
    }

    @Test
    void aBucketNeverVersionedListsEveryObjectAsItsNullVersion() {
        assertThat(s3.getBucketVersioning(b -> b.bucket(BUCKET)).status()).isNull();
        var v = s3.listObjectVersions(b -> b.bucket(BUCKET).prefix("ver/"));
        assertThat(v.versions()).extracting(ObjectVersion::key).containsExactly("ver/dir/two", "ver/one");
        assertThat(v.versions()).allSatisfy(o -> {
            assertThat(o.versionId()).isEqualTo("null");
            assertThat(o.isLatest()).isTrue();
        });
        var rolled = s3.listObjectVersions(b -> b.bucket(BUCKET).prefix("ver/").delimiter("/"));
        assertThat(rolled.versions()).extracting(ObjectVersion::key).containsExactly("ver/one");
        assertThat(rolled.commonPrefixes()).extracting(p -> p.prefix()).containsExactly("ver/dir/");
        var paged = s3.listObjectVersions(b -> b.bucket(BUCKET).prefix("ver/").maxKeys(1));
        assertThat(paged.isTruncated()).isTrue();
        var next = s3.listObjectVersions(b -> b.bucket(BUCKET).prefix("ver/").maxKeys(1)
                .keyMarker(paged.nextKeyMarker()).versionIdMarker(paged.nextVersionIdMarker()));
        assertThat(next.versions()).extracting(ObjectVersion::key).containsExactly("ver/one");
    }

    @Test
    void theOwnerHasFullControlUnlessAnAclSaysMore() {
        var bucketAcl = s3.getBucketAcl(b -> b.bucket(BUCKET));
        assertThat(bucketAcl.grants()).singleElement().satisfies(g -> {
            assertThat(g.permission()).isEqualTo(Permission.FULL_CONTROL);
            assertThat(g.grantee().id()).isEqualTo(bucketAcl.owner().id());
        });
        assertThat(s3.getObjectAcl(b -> b.bucket(BUCKET).key("sub/one")).grants()).singleElement()
                .satisfies(g -> assertThat(g.permission()).isEqualTo(Permission.FULL_CONTROL));
        s3.putObjectAcl(b -> b.bucket(BUCKET).key("sub/one").acl(ObjectCannedACL.PRIVATE));
        s3.putObject(b -> b.bucket(BUCKET).key("sub/private").acl(ObjectCannedACL.PRIVATE), RequestBody.fromString("p"));
        // other canned ACLs are kept (AclEndToEndTest): the object's ACL lists the AllUsers grant
        s3.putObject(b -> b.bucket(BUCKET).key("sub/public").acl(ObjectCannedACL.PUBLIC_READ), RequestBody.fromString("p"));
        assertThat(s3.getObjectAcl(b -> b.bucket(BUCKET).key("sub/public")).grants())
                .extracting(g -> g.permission()).containsExactly(Permission.READ, Permission.FULL_CONTROL);
        fails(() -> s3.getObjectAcl(b -> b.bucket(BUCKET).key("sub/missing")), 404, "NoSuchKey");
    }

    @Test
    void aC1ControlCharacterInAKeyIsInvalidUriAndACorsPreflightIsRefusedAsByS3() throws Exception {
        // ceph/s3-tests test_object_read_unreadable: 400 InvalidURI (it was 404 NoSuchKey)
        fails(() -> s3.getObject(b -> b.bucket(BUCKET).key("\u00ae\u008a-")), 400, "InvalidURI");
        fails(() -> s3.putObject(b -> b.bucket(BUCKET).key("a\u0085b"), RequestBody.fromString("x")), 400, "InvalidURI");
        // test_object_raw_get_x_amz_expires_not_expired: OPTIONS without Origin is 400 (it was 405), with one 403
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        var noOrigin = http.send(java.net.http.HttpRequest.newBuilder(rig.endpoint.resolve("/" + BUCKET + "/sub/one"))
                .method("OPTIONS", java.net.http.HttpRequest.BodyPublishers.noBody()).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(noOrigin.statusCode()).isEqualTo(400);
        var withOrigin = http.send(java.net.http.HttpRequest.newBuilder(rig.endpoint.resolve("/" + BUCKET + "/sub/one"))
                .header("Origin", "http://example.com").header("Access-Control-Request-Method", "GET")
                .method("OPTIONS", java.net.http.HttpRequest.BodyPublishers.noBody()).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(withOrigin.statusCode()).isEqualTo(403);
    }

    @Test
    void unconfiguredBucketSettingsAnswerTheirNoSuchErrors() {
        fails(() -> s3.getBucketPolicy(b -> b.bucket(BUCKET)), 404, "NoSuchBucketPolicy");
        fails(() -> s3.getBucketCors(b -> b.bucket(BUCKET)), 404, "NoSuchCORSConfiguration");
        fails(() -> s3.getBucketLifecycleConfiguration(b -> b.bucket(BUCKET)), 404, "NoSuchLifecycleConfiguration");
        fails(() -> s3.getBucketEncryption(b -> b.bucket(BUCKET)), 404, "ServerSideEncryptionConfigurationNotFoundError");
        fails(() -> s3.getBucketTagging(b -> b.bucket(BUCKET)), 404, "NoSuchTagSet");
        fails(() -> s3.getBucketWebsite(b -> b.bucket(BUCKET)), 404, "NoSuchWebsiteConfiguration");
        assertThat(s3.deleteBucketCors(b -> b.bucket(BUCKET)).sdkHttpResponse().statusCode()).isEqualTo(204);
        assertThat(s3.deleteBucketTagging(b -> b.bucket(BUCKET)).sdkHttpResponse().statusCode()).isEqualTo(204);
        assertThat(s3.getBucketLocation(b -> b.bucket(BUCKET)).locationConstraintAsString()).isEmpty();
        fails(() -> s3.getBucketPolicy(b -> b.bucket("no-such-bucket")), 404, "NoSuchBucket");
    }

    @Test
    void anUnsignedRequestToABucketThatDoesNotExistIsNoSuchBucket() throws Exception {
        // as S3 (ceph/s3-tests test_object_raw_get_bucket_gone): 404 NoSuchBucket; it was 403
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        var gone = http.send(java.net.http.HttpRequest.newBuilder(rig.endpoint.resolve("/no-such-bucket/k")).GET().build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(gone.statusCode()).isEqualTo(404);
        assertThat(gone.body()).contains("<Code>NoSuchBucket</Code>");
        var existing = http.send(java.net.http.HttpRequest.newBuilder(rig.endpoint.resolve("/" + BUCKET + "/sub/one"))
                .GET().build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(existing.statusCode()).isEqualTo(403);
    }

    @Test
    void aVersionOneListingNamesEachObjectsOwner() {
        // ceph/s3-tests test_bucket_list_return_data: S3's v1 listing has an Owner per object (it had none)
        assertThat(s3.listObjects(b -> b.bucket(BUCKET).prefix("sub/")).contents()).isNotEmpty()
                .allSatisfy(o -> assertThat(o.owner().id()).isEqualTo(s3.getBucketAcl(b -> b.bucket(BUCKET)).owner().id()));
    }

    @Test
    void objectTagsAndAttributes() {
        assertThat(s3.getObjectTagging(b -> b.bucket(BUCKET).key("sub/one")).tagSet()).isEmpty();
        fails(() -> s3.getObjectTagging(b -> b.bucket(BUCKET).key("sub/missing")), 404, "NoSuchKey");
        var attrs = s3.getObjectAttributes(b -> b.bucket(BUCKET).key("sub/one")
                .objectAttributes(ObjectAttributes.E_TAG, ObjectAttributes.OBJECT_SIZE, ObjectAttributes.STORAGE_CLASS));
        assertThat(attrs.objectSize()).isEqualTo(3L);
        assertThat(attrs.eTag()).isEqualTo(s3.headObject(b -> b.bucket(BUCKET).key("sub/one")).eTag().replace("\"", ""));
    }

    private java.util.Map<String, String> tagsOf(String key) {
        java.util.Map<String, String> m = new java.util.LinkedHashMap<>();
        s3.getObjectTagging(b -> b.bucket(BUCKET).key(key)).tagSet().forEach(t -> m.put(t.key(), t.value()));
        return m;
    }

    private static software.amazon.awssdk.services.s3.model.Tag tag(String k, String v) {
        return software.amazon.awssdk.services.s3.model.Tag.builder().key(k).value(v).build();
    }

    @Test
    void objectTagsAreStoredWithTheVersion() {
        // PutObjectTagging answered 501 and x-amz-tagging was ignored before: GetObjectTagging was always empty.
        s3.putObject(b -> b.bucket(BUCKET).key("tag/put").tagging("a=1&b%20c=d%26e&empty="), RequestBody.fromString("x"));
        assertThat(tagsOf("tag/put")).containsExactly(java.util.Map.entry("a", "1"), java.util.Map.entry("b c", "d&e"),
                java.util.Map.entry("empty", ""));
        assertThat(s3.headObject(b -> b.bucket(BUCKET).key("tag/put")).sdkHttpResponse()
                .firstMatchingHeader("x-amz-tagging-count")).contains("3");
        assertThat(s3.getObjectAsBytes(b -> b.bucket(BUCKET).key("tag/put")).response().tagCount()).isEqualTo(3);

        s3.putObjectTagging(b -> b.bucket(BUCKET).key("tag/put").tagging(t -> t.tagSet(tag("k", "v"))));
        assertThat(tagsOf("tag/put")).containsExactly(java.util.Map.entry("k", "v"));
        assertThat(s3.getObjectAsBytes(b -> b.bucket(BUCKET).key("tag/put")).asUtf8String()).isEqualTo("x");

        // CopyObject: COPY (the default) keeps the source's tags, REPLACE takes x-amz-tagging
        s3.copyObject(b -> b.sourceBucket(BUCKET).sourceKey("tag/put").destinationBucket(BUCKET).destinationKey("tag/copy"));
        assertThat(tagsOf("tag/copy")).containsExactly(java.util.Map.entry("k", "v"));
        s3.copyObject(b -> b.sourceBucket(BUCKET).sourceKey("tag/put").destinationBucket(BUCKET).destinationKey("tag/repl")
                .taggingDirective(software.amazon.awssdk.services.s3.model.TaggingDirective.REPLACE).tagging("n=2"));
        assertThat(tagsOf("tag/repl")).containsExactly(java.util.Map.entry("n", "2"));

        // multipart: the tags given at creation are the completed object's
        String id = s3.createMultipartUpload(b -> b.bucket(BUCKET).key("tag/mpu").tagging("m=p")).uploadId();
        String etag = s3.uploadPart(b -> b.bucket(BUCKET).key("tag/mpu").uploadId(id).partNumber(1),
                RequestBody.fromString("part")).eTag();
        s3.completeMultipartUpload(b -> b.bucket(BUCKET).key("tag/mpu").uploadId(id)
                .multipartUpload(m -> m.parts(CompletedPart.builder().partNumber(1).eTag(etag).build())));
        assertThat(tagsOf("tag/mpu")).containsExactly(java.util.Map.entry("m", "p"));

        // a new version of the key starts without the old one's tags; DELETE ?tagging removes them
        s3.putObject(b -> b.bucket(BUCKET).key("tag/copy"), RequestBody.fromString("y"));
        assertThat(tagsOf("tag/copy")).isEmpty();
        assertThat(s3.headObject(b -> b.bucket(BUCKET).key("tag/copy")).sdkHttpResponse()
                .firstMatchingHeader("x-amz-tagging-count")).isEmpty();
        s3.deleteObjectTagging(b -> b.bucket(BUCKET).key("tag/put"));
        assertThat(tagsOf("tag/put")).isEmpty();
        fails(() -> s3.putObjectTagging(b -> b.bucket(BUCKET).key("tag/missing").tagging(t -> t.tagSet(tag("k", "v")))),
                404, "NoSuchKey");
    }

    @Test
    void tagsBeyondS3sLimitsAreInvalidTagAndNothingIsStored() {
        s3.putObject(b -> b.bucket(BUCKET).key("tag/limits").tagging("keep=1"), RequestBody.fromString("x"));
        java.util.List<software.amazon.awssdk.services.s3.model.Tag> eleven = new java.util.ArrayList<>();
        for (int i = 0; i < 11; i++) {
            eleven.add(tag("k" + i, "v"));
        }
        fails(() -> s3.putObjectTagging(b -> b.bucket(BUCKET).key("tag/limits").tagging(t -> t.tagSet(eleven))),
                400, "InvalidTag");
        fails(() -> s3.putObjectTagging(b -> b.bucket(BUCKET).key("tag/limits")
                .tagging(t -> t.tagSet(tag("k".repeat(129), "v")))), 400, "InvalidTag");
        fails(() -> s3.putObjectTagging(b -> b.bucket(BUCKET).key("tag/limits")
                .tagging(t -> t.tagSet(tag("k", "v".repeat(257))))), 400, "InvalidTag");
        fails(() -> s3.putObject(b -> b.bucket(BUCKET).key("tag/limits2").tagging("a=1&a=2"), RequestBody.fromString("x")),
                400, "InvalidTag");
        // the limits themselves are accepted
        java.util.List<software.amazon.awssdk.services.s3.model.Tag> ten = new java.util.ArrayList<>();
        for (int i = 0; i < 9; i++) {
            ten.add(tag("k" + i, "v"));
        }
        ten.add(tag("k".repeat(128), "v".repeat(256)));
        assertThat(tagsOf("tag/limits")).containsExactly(java.util.Map.entry("keep", "1"));
        s3.putObjectTagging(b -> b.bucket(BUCKET).key("tag/limits").tagging(t -> t.tagSet(ten)));
        assertThat(tagsOf("tag/limits")).hasSize(10).containsEntry("k".repeat(128), "v".repeat(256));
        assertThatThrownBy(() -> s3.headObject(b -> b.bucket(BUCKET).key("tag/limits2")))
                .isInstanceOfSatisfying(S3Exception.class, e -> assertThat(e.statusCode()).isEqualTo(404));
    }

    @Test
    void errorCodesAsS3s() {
        // If-Match on a key that does not exist: 404 NoSuchKey (it was 412)
        fails(() -> s3.putObject(b -> b.bucket(BUCKET).key("sub/absent").ifMatch("\"0123\""), RequestBody.fromString("x")),
                404, "NoSuchKey");
        // a part number beyond the parts: 400 InvalidPart, as ceph/s3-tests' test_multipart_get_part expects (it was 416)
        String id = s3.createMultipartUpload(b -> b.bucket(BUCKET).key("sub/mp")).uploadId();
        String etag = s3.uploadPart(b -> b.bucket(BUCKET).key("sub/mp").uploadId(id).partNumber(1),
                RequestBody.fromString("part")).eTag();
        s3.completeMultipartUpload(b -> b.bucket(BUCKET).key("sub/mp").uploadId(id)
                .multipartUpload(m -> m.parts(CompletedPart.builder().partNumber(1).eTag(etag).build())));
        assertThat(s3.headObject(b -> b.bucket(BUCKET).key("sub/mp").partNumber(1)).partsCount()).isEqualTo(1);
        fails(() -> s3.getObject(b -> b.bucket(BUCKET).key("sub/mp").partNumber(2)), 400, "InvalidPart");
        assertThatThrownBy(() -> s3.headObject(b -> b.bucket(BUCKET).key("sub/mp").partNumber(2)))
                .isInstanceOfSatisfying(S3Exception.class, e -> assertThat(e.statusCode()).isEqualTo(400));
        // Content-Encoding is kept verbatim (it came back as "deflate,gzip")
        s3.putObject(b -> b.bucket(BUCKET).key("sub/enc").contentEncoding("deflate, gzip"), RequestBody.fromString("e"));
        assertThat(s3.headObject(b -> b.bucket(BUCKET).key("sub/enc")).contentEncoding()).isEqualTo("deflate, gzip");
    }
}
