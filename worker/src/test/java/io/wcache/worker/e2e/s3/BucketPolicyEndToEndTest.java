package io.wcache.worker.e2e.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.BucketCannedACL;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.ObjectCannedACL;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.Tag;

/**
 * Bucket policies through the AWS SDK v2 against a real worker with two users and unsigned
 * requests: Put/Get/DeleteBucketPolicy and GetBucketPolicyStatus, the documents S3 refuses, and
 * enforcement (explicit Deny over any Allow and over the ACLs, Allow over the ACLs, principals,
 * action and resource wildcards, conditions) on listing, reads, writes, multipart uploads, copies
 * and DeleteObjects. Policies answered 501 (PUT) and NoSuchBucketPolicy (GET) before they were
 * kept (ceph/s3-tests test_bucket_policy*, test_bucketv2_policy*, test_set_get_del_bucket_policy,
 * test_bucket_policy_allow_notprincipal, test_multipart_upload_on_a_bucket_with_policy,
 * test_head_object_404_with_policy_prefix).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BucketPolicyEndToEndTest {
    @TempDir
    static Path root;
    S3Rig rig;
    S3Client main;
    S3Client alt;
    S3Client anon;

    @BeforeAll
    void start() {
        rig = new S3Rig(root.resolve("worker"),
                "s3.create.bucket.ufs=file:" + root.resolve("buckets").toAbsolutePath() + "/{bucket}",
                "s3.credentials=[{accessKey: " + S3Rig.ACCESS + ", secretKey: " + S3Rig.SECRET
                        + ", userId: main-id, displayName: main-name, email: main@example.com},"
                        + "{accessKey: altkey, secretKey: altsecret, userId: alt-id, displayName: alt-name,"
                        + " email: alt@example.com}]");
        main = rig.client();
        alt = rig.client("altkey", "altsecret");
        anon = rig.anonymousClient();
    }

    @AfterAll
    void stop() {
        main.close();
        alt.close();
        anon.close();
        rig.close();
    }

    private static String name() {
        return "pol-" + UUID.randomUUID().toString().substring(0, 8);
    }

    private static void fails(Runnable call, int status, String code) {
        assertThatThrownBy(call::run).isInstanceOfSatisfying(S3Exception.class, e -> {
            assertThat(e.statusCode()).isEqualTo(status);
            assertThat(e.awsErrorDetails().errorCode()).isEqualTo(code);
        });
    }

    private static void denied(Runnable call) {
        fails(call, 403, "AccessDenied");
    }

    private static String policy(String effect, String principal, String action, String resources, String condition) {
        return "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"" + effect + "\",\"Principal\":" + principal
                + ",\"Action\":" + action + ",\"Resource\":" + resources
                + (condition == null ? "" : ",\"Condition\":" + condition) + "}]}";
    }

    private String bucketWith(String... keys) {
        String b = name();
        main.createBucket(c -> c.bucket(b));
        for (String k : keys) {
            main.putObject(p -> p.bucket(b).key(k), RequestBody.fromString(k));
        }
        return b;
    }

    @Test
    void aPolicyIsStoredAsSentReadBackAndDeleted() {
        String b = bucketWith();
        fails(() -> main.getBucketPolicy(g -> g.bucket(b)), 404, "NoSuchBucketPolicy");
        fails(() -> main.getBucketPolicyStatus(g -> g.bucket(b)), 404, "NoSuchBucketPolicy");
        String doc = policy("Allow", "{\"AWS\": \"*\"}", "\"s3:ListBucket\"",
                "[\"arn:aws:s3:::" + b + "\", \"arn:aws:s3:::" + b + "/*\"]", null);
        main.putBucketPolicy(p -> p.bucket(b).policy(doc));
        assertThat(main.getBucketPolicy(g -> g.bucket(b)).policy()).isEqualTo(doc);
        assertThat(main.getBucketPolicyStatus(g -> g.bucket(b)).policyStatus().isPublic()).isTrue();
        // Only the owner sets or removes it.
        denied(() -> alt.putBucketPolicy(p -> p.bucket(b).policy(doc)));
        denied(() -> alt.deleteBucketPolicy(d -> d.bucket(b)));
        denied(() -> alt.getBucketPolicy(g -> g.bucket(b)));
        String toAlt = policy("Allow", "{\"AWS\": [\"arn:aws:iam::alt-id:root\"]}", "\"s3:GetObject\"",
                "\"arn:aws:s3:::" + b + "/*\"", null);
        main.putBucketPolicy(p -> p.bucket(b).policy(toAlt));
        assertThat(main.getBucketPolicyStatus(g -> g.bucket(b)).policyStatus().isPublic()).isFalse();
        main.deleteBucketPolicy(d -> d.bucket(b));
        fails(() -> main.getBucketPolicy(g -> g.bucket(b)), 404, "NoSuchBucketPolicy");
        main.deleteBucket(d -> d.bucket(b));
        main.createBucket(c -> c.bucket(b));
        fails(() -> main.getBucketPolicy(g -> g.bucket(b)), 404, "NoSuchBucketPolicy");
    }

    @Test
    void whatS3RefusesIsRefusedAndWhatIsNotEvaluatedIsNotStored() {
        String b = bucketWith();
        String res = "\"arn:aws:s3:::" + b + "/*\"";
        List<String> malformed = new ArrayList<>(List.of("{not json", "[]", "{\"Version\":\"2012-10-17\"}",
                // Allow with NotPrincipal (test_bucket_policy_allow_notprincipal)
                "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"NotPrincipal\":{\"AWS\":"
                        + "\"arn:aws:iam::s3tenant1:root\"},\"Action\":\"s3:ListBucket\",\"Resource\":" + res + "}]}",
                policy("Permit", "\"*\"", "\"s3:GetObject\"", res, null),
                policy("Allow", "{\"AWS\": \"arn:aws:iam::nobody:root\"}", "\"s3:GetObject\"", res, null),
                policy("Allow", "\"*\"", "\"s3:GetObjekt\"", res, null),
                policy("Allow", "\"*\"", "\"ec2:RunInstances\"", res, null),
                policy("Allow", "\"*\"", "\"s3:GetObject\"", "\"arn:aws:sqs:::q\"", null),
                policy("Allow", "\"*\"", "\"s3:GetObject\"", res, "{\"StringEqualz\": {\"aws:Referer\": \"x\"}}"),
                policy("Allow", "\"*\"", "\"s3:GetObject\"", res, "{\"StringEquals\": {\"foo:bar\": \"x\"}}"),
                policy("Allow", "\"*\"", "\"s3:GetObject\"", res, "{\"IpAddress\": {\"aws:SourceIp\": \"nope\"}}")));
        for (String doc : malformed) {
            fails(() -> main.putBucketPolicy(p -> p.bucket(b).policy(doc)), 400, "MalformedPolicy");
        }
        // A valid condition key or set operator that is not evaluated: refused, not half enforced.
        for (String cond : List.of("{\"StringEquals\": {\"aws:PrincipalOrgID\": \"o-1\"}}",
                "{\"ForAnyValue:StringEquals\": {\"s3:RequestObjectTagKeys\": \"a\"}}")) {
            fails(() -> main.putBucketPolicy(p -> p.bucket(b).policy(policy("Deny", "\"*\"", "\"s3:*\"", res, cond))),
                    501, "NotImplemented");
        }
        fails(() -> main.getBucketPolicy(g -> g.bucket(b)), 404, "NoSuchBucketPolicy");
    }

    @Test
    void anAllowAdmitsWhoTheAclsDoNotAndItsResourceDecidesWhat() {
        String b = bucketWith("k");
        denied(() -> alt.listObjects(l -> l.bucket(b)));
        main.putBucketPolicy(p -> p.bucket(b).policy(policy("Allow", "{\"AWS\": \"*\"}", "\"s3:ListBucket\"",
                "[\"arn:aws:s3:::" + b + "\", \"arn:aws:s3:::" + b + "/*\"]", null)));
        assertThat(alt.listObjects(l -> l.bucket(b)).contents()).hasSize(1);
        assertThat(alt.listObjectsV2(l -> l.bucket(b)).contents()).hasSize(1);
        assertThat(anon.listObjectsV2(l -> l.bucket(b)).contents()).hasSize(1);
        denied(() -> alt.getObject(g -> g.bucket(b).key("k")));

        // s3:PutObject on the bucket's ARN names no object: a multipart upload stays refused
        // (test_bucket_policy_multipart); on the object's ARN it is allowed.
        main.putBucketPolicy(p -> p.bucket(b).policy(policy("Allow", "{\"AWS\": \"*\"}", "\"s3:PutObject\"",
                "\"arn:aws:s3:::" + b + "\"", null)));
        denied(() -> alt.createMultipartUpload(c -> c.bucket(b).key("mp")));
        main.putBucketPolicy(p -> p.bucket(b).policy(policy("Allow", "{\"AWS\": \"alt-id\"}", "\"s3:PutObject\"",
                "\"arn:aws:s3:::" + b + "/mp\"", null)));
        String upload = alt.createMultipartUpload(c -> c.bucket(b).key("mp")).uploadId();
        var part = alt.uploadPart(u -> u.bucket(b).key("mp").uploadId(upload).partNumber(1), RequestBody.fromString("x"));
        alt.completeMultipartUpload(c -> c.bucket(b).key("mp").uploadId(upload).multipartUpload(m -> m.parts(
                CompletedPart.builder().partNumber(1).eTag(part.eTag()).build())));
        denied(() -> alt.putObject(p -> p.bucket(b).key("other"), RequestBody.fromString("x")));
        denied(() -> anon.putObject(p -> p.bucket(b).key("mp"), RequestBody.fromString("x")));
    }

    @Test
    void aPolicyAllowingEverythingToEveryoneLetsTheOwnerUploadInParts() {
        // test_multipart_upload_on_a_bucket_with_policy: Principal "*", Action "*".
        String b = bucketWith();
        main.putBucketPolicy(p -> p.bucket(b).policy(policy("Allow", "\"*\"", "\"*\"",
                "[\"arn:aws:s3:::" + b + "\", \"arn:aws:s3:::" + b + "/*\"]", null)));
        String upload = main.createMultipartUpload(c -> c.bucket(b).key("foo")).uploadId();
        byte[] body = SdkS3EndToEndTest.bytes(5 * 1024 * 1024, 3);
        var p1 = main.uploadPart(u -> u.bucket(b).key("foo").uploadId(upload).partNumber(1), RequestBody.fromBytes(body));
        var p2 = main.uploadPart(u -> u.bucket(b).key("foo").uploadId(upload).partNumber(2), RequestBody.fromString("t"));
        main.completeMultipartUpload(c -> c.bucket(b).key("foo").uploadId(upload).multipartUpload(m -> m.parts(
                CompletedPart.builder().partNumber(1).eTag(p1.eTag()).build(),
                CompletedPart.builder().partNumber(2).eTag(p2.eTag()).build())));
        assertThat(alt.headObject(h -> h.bucket(b).key("foo")).contentLength()).isEqualTo(body.length + 1);
        assertThat(anon.getObjectAsBytes(g -> g.bucket(b).key("foo")).asByteArray()).hasSize(body.length + 1);
    }

    @Test
    void anExplicitDenyWinsOverTheAclsAndOverAnyAllowButTheOwnerKeepsThePolicyOperations() {
        String b = bucketWith("k", "keep/a", "other/b");
        main.putBucketAcl(a -> a.bucket(b).acl(BucketCannedACL.AUTHENTICATED_READ));
        assertThat(alt.listObjects(l -> l.bucket(b)).contents()).hasSize(3);
        String doc = "{\"Version\":\"2012-10-17\",\"Statement\":["
                + "{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:*\",\"Resource\":\"arn:aws:s3:::" + b + "/*\"},"
                + "{\"Effect\":\"Deny\",\"Principal\":{\"AWS\":\"*\"},\"Action\":[\"s3:ListBucket\",\"s3:DeleteObject\"],"
                + "\"Resource\":[\"arn:aws:s3:::" + b + "\",\"arn:aws:s3:::" + b + "/keep/*\"]},"
                + "{\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"s3:*\",\"Resource\":\"arn:aws:s3:::" + b + "/*\","
                + "\"Condition\":{\"StringLike\":{\"s3:x-amz-acl\":\"public*\"}}}]}";
        main.putBucketPolicy(p -> p.bucket(b).policy(doc));
        // test_bucket_policy_acl: the ACL's READ no longer lists, for anyone, the owner included.
        denied(() -> alt.listObjects(l -> l.bucket(b)));
        denied(() -> main.listObjectsV2(l -> l.bucket(b)));
        // The Allow on objects admits the other user and anonymous requests.
        assertThat(alt.getObjectAsBytes(g -> g.bucket(b).key("k")).asUtf8String()).isEqualTo("k");
        assertThat(anon.getObjectAsBytes(g -> g.bucket(b).key("k")).asUtf8String()).isEqualTo("k");
        alt.putObject(p -> p.bucket(b).key("by-alt"), RequestBody.fromString("x"));
        // test_bucket_policy_put_obj_acl: a Deny conditioned on x-amz-acl.
        denied(() -> alt.putObject(p -> p.bucket(b).key("pub").acl(ObjectCannedACL.PUBLIC_READ),
                RequestBody.fromString("x")));
        denied(() -> main.deleteObject(d -> d.bucket(b).key("keep/a")));
        // DeleteObjects judges each key: the denied one is an AccessDenied error of the result.
        var result = main.deleteObjects(d -> d.bucket(b).delete(del -> del.objects(
                ObjectIdentifier.builder().key("keep/a").build(), ObjectIdentifier.builder().key("other/b").build())));
        assertThat(result.deleted()).extracting(x -> x.key()).containsExactly("other/b");
        assertThat(result.errors()).extracting(e -> e.key() + ":" + e.code()).containsExactly("keep/a:AccessDenied");
        assertThat(main.headObject(h -> h.bucket(b).key("keep/a")).contentLength()).isEqualTo(6);
        // The owner keeps the policy operations: it reads and removes the policy that locks it out.
        assertThat(main.getBucketPolicy(g -> g.bucket(b)).policy()).isEqualTo(doc);
        main.deleteBucketPolicy(d -> d.bucket(b));
        assertThat(alt.listObjects(l -> l.bucket(b)).contents()).hasSize(3);
        main.deleteObject(d -> d.bucket(b).key("keep/a"));
    }

    @Test
    void conditionsOnTheRequestAndOnTheObjectsTagsAreEvaluated() {
        String b = bucketWith("foo", "publictag", "privatetag", "public/x", "private/y");
        // test_bucket_policy_set_condition_operator_end_with_IfExists
        main.putBucketPolicy(p -> p.bucket(b).policy(policy("Allow", "\"*\"", "\"s3:GetObject\"",
                "\"arn:aws:s3:::" + b + "/foo\"",
                "{\"StringLikeIfExists\": {\"aws:Referer\": \"http://www.example.com/*\"}}")));
        assertThat(alt.getObjectAsBytes(g -> g.bucket(b).key("foo").overrideConfiguration(o -> o.putHeader("Referer",
                "http://www.example.com/index.html"))).asUtf8String()).isEqualTo("foo");
        assertThat(alt.getObjectAsBytes(g -> g.bucket(b).key("foo")).asUtf8String()).isEqualTo("foo");
        denied(() -> alt.getObjectAsBytes(g -> g.bucket(b).key("foo").overrideConfiguration(o -> o.putHeader("Referer",
                "http://example.com"))));

        // test_bucket_policy_get_obj_existing_tag
        main.putObjectTagging(t -> t.bucket(b).key("publictag").tagging(g -> g.tagSet(
                Tag.builder().key("security").value("public").build(), Tag.builder().key("foo").value("bar").build())));
        main.putObjectTagging(t -> t.bucket(b).key("privatetag").tagging(g -> g.tagSet(
                Tag.builder().key("security").value("private").build())));
        main.putBucketPolicy(p -> p.bucket(b).policy(policy("Allow", "{\"AWS\": \"*\"}", "\"s3:GetObject\"",
                "\"arn:aws:s3:::" + b + "/*\"", "{\"StringEquals\": {\"s3:ExistingObjectTag/security\": \"public\"}}")));
        assertThat(alt.getObjectAsBytes(g -> g.bucket(b).key("publictag")).asUtf8String()).isEqualTo("publictag");
        denied(() -> alt.getObjectAsBytes(g -> g.bucket(b).key("privatetag")));
        denied(() -> alt.getObjectAsBytes(g -> g.bucket(b).key("foo")));

        // test_head_object_404_with_policy_prefix: listing under public/ tells a missing key (404) there only.
        main.putBucketPolicy(p -> p.bucket(b).policy(policy("Allow", "{\"AWS\": \"*\"}", "\"s3:ListBucket\"",
                "\"arn:aws:s3:::" + b + "\"", "{\"StringLike\": {\"s3:prefix\": \"public/*\"}}")));
        assertThatThrownBy(() -> alt.headObject(h -> h.bucket(b).key("public/missing")))
                .isInstanceOfSatisfying(S3Exception.class, e -> assertThat(e.statusCode()).isEqualTo(404));
        assertThatThrownBy(() -> alt.headObject(h -> h.bucket(b).key("private/missing")))
                .isInstanceOfSatisfying(S3Exception.class, e -> assertThat(e.statusCode()).isEqualTo(403));
        assertThat(alt.listObjectsV2(l -> l.bucket(b).prefix("public/")).contents()).hasSize(1);
        denied(() -> alt.listObjectsV2(l -> l.bucket(b).prefix("private/")));
    }

    @Test
    void aCopyNeedsTheSourceBucketsPolicyToAllowReadingTheSource() {
        // test_bucket_policy_put_obj_copy_source
        String src = bucketWith("public/foo", "private/foo");
        main.putBucketPolicy(p -> p.bucket(src).policy(policy("Allow", "\"*\"", "\"s3:GetObject\"",
                "\"arn:aws:s3:::" + src + "/public/*\"", null)));
        String dst = bucketWith();
        main.putBucketPolicy(p -> p.bucket(dst).policy(policy("Allow", "\"*\"", "\"s3:PutObject\"",
                "\"arn:aws:s3:::" + dst + "/*\"", "{\"StringLike\": {\"s3:x-amz-copy-source\": \"" + src + "/public/*\"}}")));
        alt.copyObject(c -> c.sourceBucket(src).sourceKey("public/foo").destinationBucket(dst).destinationKey("n"));
        // The copy is its writer's object (private to it, as on S3).
        assertThat(alt.getObjectAsBytes(g -> g.bucket(dst).key("n")).asUtf8String()).isEqualTo("public/foo");
        denied(() -> main.getObjectAsBytes(g -> g.bucket(dst).key("n")));
        denied(() -> alt.copyObject(c -> c.sourceBucket(src).sourceKey("private/foo").destinationBucket(dst)
                .destinationKey("n2")));
    }
}
