package io.wcache.worker.e2e.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.AccessControlPolicy;
import software.amazon.awssdk.services.s3.model.BucketCannedACL;
import software.amazon.awssdk.services.s3.model.Grant;
import software.amazon.awssdk.services.s3.model.Grantee;
import software.amazon.awssdk.services.s3.model.ObjectCannedACL;
import software.amazon.awssdk.services.s3.model.ObjectOwnership;
import software.amazon.awssdk.services.s3.model.Permission;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.Type;

/**
 * S3 owners and ACLs through the AWS SDK v2 against a real worker with two users (each key of
 * s3.credentials with its own userId) and unsigned requests: canned ACLs, grants by id, e-mail
 * and header, what each lets the other user and an anonymous client do, bucket ownership at
 * creation, and the location constraint given at creation. Each of these failed before S3 ACLs
 * were kept (ceph/s3-tests test_bucket_acl_canned*, test_object_acl_canned*, test_object_raw_get*,
 * test_bucket_list_objects_anonymous, test_object_anon_put_write_access, test_bucket_create_exists_nonowner,
 * test_bucket_recreate_*_acl, test_bucket_acl_grant_*, test_object_copy_not_owned_bucket,
 * test_bucket_get_location, test_bucket_create_delete_bucket_ownership).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AclEndToEndTest {
    static final String ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers";
    static final String AUTHENTICATED = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers";

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
        return "acl-" + UUID.randomUUID().toString().substring(0, 8);
    }

    private static void fails(Runnable call, int status, String code) {
        assertThatThrownBy(call::run).isInstanceOfSatisfying(S3Exception.class, e -> {
            assertThat(e.statusCode()).isEqualTo(status);
            assertThat(e.awsErrorDetails().errorCode()).isEqualTo(code);
        });
    }

    private static void denied(Runnable call) {
        assertThatThrownBy(call::run).isInstanceOfSatisfying(S3Exception.class,
                e -> assertThat(e.statusCode()).isEqualTo(403));
    }

    private static String describe(Grant g) {
        Grantee who = g.grantee();
        return (who.type() == Type.GROUP ? who.uri() : who.id() + "/" + who.displayName()) + ":" + g.permissionAsString();
    }

    @Test
    void aBucketIsPrivateToItsCreatorUntilItsAclSaysOtherwise() {
        String b = name();
        main.createBucket(c -> c.bucket(b));
        main.putObject(p -> p.bucket(b).key("k"), RequestBody.fromString("v"));
        var acl = main.getBucketAcl(g -> g.bucket(b));
        assertThat(acl.owner().id()).isEqualTo("main-id");
        assertThat(acl.owner().displayName()).isEqualTo("main-name");
        assertThat(acl.grants()).extracting(AclEndToEndTest::describe).containsExactly("main-id/main-name:FULL_CONTROL");
        denied(() -> alt.listObjects(l -> l.bucket(b)));
        denied(() -> alt.getObject(g -> g.bucket(b).key("k")));
        denied(() -> alt.putObject(p -> p.bucket(b).key("x"), RequestBody.fromString("v")));
        denied(() -> alt.deleteBucket(d -> d.bucket(b)));
        denied(() -> anon.listObjects(l -> l.bucket(b)));
        denied(() -> anon.getObject(g -> g.bucket(b).key("k")));
        // ListBuckets shows each user their own buckets
        assertThat(main.listBuckets().buckets()).extracting(x -> x.name()).contains(b);
        assertThat(alt.listBuckets().buckets()).extracting(x -> x.name()).doesNotContain(b);
        assertThat(alt.listBuckets().owner().id()).isEqualTo("alt-id");
        denied(() -> anon.listBuckets());
    }

    @Test
    void publicReadLetsAnyoneListAndPrivateTakesItBack() {
        String b = name();
        main.createBucket(c -> c.bucket(b).acl(BucketCannedACL.PUBLIC_READ));
        main.putObject(p -> p.bucket(b).key("k").acl(ObjectCannedACL.PUBLIC_READ), RequestBody.fromString("v"));
        main.putObject(p -> p.bucket(b).key("private"), RequestBody.fromString("v"));
        // group grants first, then the owner's, as S3 lists a canned ACL
        assertThat(main.getBucketAcl(g -> g.bucket(b)).grants()).extracting(AclEndToEndTest::describe)
                .containsExactly(ALL_USERS + ":READ", "main-id/main-name:FULL_CONTROL");
        assertThat(anon.listObjects(l -> l.bucket(b)).contents()).extracting(o -> o.key()).containsExactly("k", "private");
        assertThat(anon.listObjectsV2(l -> l.bucket(b)).keyCount()).isEqualTo(2);
        assertThat(anon.getObjectAsBytes(g -> g.bucket(b).key("k")).asUtf8String()).isEqualTo("v");
        denied(() -> anon.getObject(g -> g.bucket(b).key("private")));
        // a missing object of a bucket the caller may list is 404, as on S3
        fails(() -> anon.getObject(g -> g.bucket(b).key("missing")), 404, "NoSuchKey");
        denied(() -> anon.putObject(p -> p.bucket(b).key("w"), RequestBody.fromString("v")));
        main.putBucketAcl(p -> p.bucket(b).acl(BucketCannedACL.PRIVATE));
        denied(() -> anon.listObjects(l -> l.bucket(b)));
        // the object's own ACL still lets anyone read it
        assertThat(anon.getObjectAsBytes(g -> g.bucket(b).key("k")).asUtf8String()).isEqualTo("v");
        main.putObjectAcl(p -> p.bucket(b).key("k").acl(ObjectCannedACL.PRIVATE));
        denied(() -> anon.getObject(g -> g.bucket(b).key("k")));
        // a new version of the key starts private
        main.putObjectAcl(p -> p.bucket(b).key("k").acl(ObjectCannedACL.PUBLIC_READ));
        main.putObject(p -> p.bucket(b).key("k"), RequestBody.fromString("v2"));
        denied(() -> anon.getObject(g -> g.bucket(b).key("k")));
    }

    @Test
    void publicReadWriteLetsAnyoneWriteAndAuthenticatedReadOnlyUsers() {
        String b = name();
        main.createBucket(c -> c.bucket(b).acl(BucketCannedACL.PUBLIC_READ_WRITE));
        assertThat(main.getBucketAcl(g -> g.bucket(b)).grants()).extracting(AclEndToEndTest::describe)
                .containsExactly(ALL_USERS + ":READ", ALL_USERS + ":WRITE", "main-id/main-name:FULL_CONTROL");
        anon.putObject(p -> p.bucket(b).key("anon"), RequestBody.fromString("a"));
        // an anonymous writer's object is the bucket owner's
        assertThat(main.getObjectAcl(g -> g.bucket(b).key("anon")).owner().id()).isEqualTo("main-id");
        // another user's object is that user's: the bucket owner reads it only if granted
        alt.putObject(p -> p.bucket(b).key("alts"), RequestBody.fromString("a"));
        denied(() -> main.getObject(g -> g.bucket(b).key("alts")));
        alt.putObject(p -> p.bucket(b).key("shared").acl(ObjectCannedACL.BUCKET_OWNER_FULL_CONTROL),
                RequestBody.fromString("a"));
        var shared = alt.getObjectAcl(g -> g.bucket(b).key("shared"));
        assertThat(shared.owner().id()).isEqualTo("alt-id");
        assertThat(shared.grants()).extracting(AclEndToEndTest::describe)
                .containsExactlyInAnyOrder("alt-id/alt-name:FULL_CONTROL", "main-id/main-name:FULL_CONTROL");
        assertThat(main.getObjectAsBytes(g -> g.bucket(b).key("shared")).asUtf8String()).isEqualTo("a");

        String r = name();
        main.createBucket(c -> c.bucket(r).acl(BucketCannedACL.AUTHENTICATED_READ));
        main.putObject(p -> p.bucket(r).key("k").acl(ObjectCannedACL.AUTHENTICATED_READ), RequestBody.fromString("v"));
        assertThat(main.getObjectAcl(g -> g.bucket(r).key("k")).grants()).extracting(AclEndToEndTest::describe)
                .containsExactly(AUTHENTICATED + ":READ", "main-id/main-name:FULL_CONTROL");
        assertThat(alt.listObjects(l -> l.bucket(r)).contents()).hasSize(1);
        assertThat(alt.getObjectAsBytes(g -> g.bucket(r).key("k")).asUtf8String()).isEqualTo("v");
        denied(() -> anon.listObjects(l -> l.bucket(r)));
        denied(() -> anon.getObject(g -> g.bucket(r).key("k")));
        denied(() -> alt.putObject(p -> p.bucket(r).key("w"), RequestBody.fromString("v")));
    }

    @Test
    void grantsNameUsersByIdOrEmailAndUnknownOnesAreRefused() {
        String b = name();
        main.createBucket(c -> c.bucket(b));
        main.putObject(p -> p.bucket(b).key("k"), RequestBody.fromString("v"));
        var owner = main.getBucketAcl(g -> g.bucket(b)).owner();
        Grant ownerFull = Grant.builder().grantee(Grantee.builder().type(Type.CANONICAL_USER).id("main-id").build())
                .permission(Permission.FULL_CONTROL).build();
        Grant altRead = Grant.builder().grantee(Grantee.builder().type(Type.AMAZON_CUSTOMER_BY_EMAIL)
                .emailAddress("alt@example.com").build()).permission(Permission.READ).build();
        main.putBucketAcl(p -> p.bucket(b).accessControlPolicy(AccessControlPolicy.builder().owner(owner)
                .grants(ownerFull, altRead).build()));
        assertThat(main.getBucketAcl(g -> g.bucket(b)).grants()).extracting(AclEndToEndTest::describe)
                .containsExactly("main-id/main-name:FULL_CONTROL", "alt-id/alt-name:READ");
        assertThat(alt.listObjects(l -> l.bucket(b)).contents()).hasSize(1);
        denied(() -> alt.putObject(p -> p.bucket(b).key("x"), RequestBody.fromString("v")));
        denied(() -> alt.getBucketAcl(g -> g.bucket(b)));

        Grant nobody = Grant.builder().grantee(Grantee.builder().type(Type.CANONICAL_USER).id("_foo").build())
                .permission(Permission.FULL_CONTROL).build();
        fails(() -> main.putBucketAcl(p -> p.bucket(b).accessControlPolicy(AccessControlPolicy.builder().owner(owner)
                .grants(ownerFull, nobody).build())), 400, "InvalidArgument");
        Grant unknownMail = Grant.builder().grantee(Grantee.builder().type(Type.AMAZON_CUSTOMER_BY_EMAIL)
                .emailAddress("nobody@example.invalid").build()).permission(Permission.READ).build();
        fails(() -> main.putBucketAcl(p -> p.bucket(b).accessControlPolicy(AccessControlPolicy.builder().owner(owner)
                .grants(ownerFull, unknownMail).build())), 400, "UnresolvableGrantByEmailAddress");
        fails(() -> main.putBucketAcl(p -> p.bucket(b).acl("public-everything")), 400, "InvalidArgument");

        // x-amz-grant-* headers; the owner keeps READ_ACP/WRITE_ACP even without a grant
        // x-amz-grant-* headers list their grants as S3 does: read, write, read-acp, write-acp, full-control
        main.putObjectAcl(p -> p.bucket(b).key("k").grantFullControl("emailAddress=\"main@example.com\"")
                .grantWriteACP("id=\"alt-id\"").grantReadACP("id=\"alt-id\"").grantRead("id=\"alt-id\""));
        assertThat(main.getObjectAcl(g -> g.bucket(b).key("k")).grants()).extracting(AclEndToEndTest::describe)
                .containsExactly("alt-id/alt-name:READ", "alt-id/alt-name:READ_ACP", "alt-id/alt-name:WRITE_ACP",
                        "main-id/main-name:FULL_CONTROL");
        main.putObjectAcl(p -> p.bucket(b).key("k").grantRead("id=\"alt-id\"").grantWriteACP("id=\"alt-id\""));
        assertThat(main.getObjectAcl(g -> g.bucket(b).key("k")).grants()).extracting(AclEndToEndTest::describe)
                .containsExactly("alt-id/alt-name:READ", "alt-id/alt-name:WRITE_ACP");
        assertThat(alt.getObjectAsBytes(g -> g.bucket(b).key("k")).asUtf8String()).isEqualTo("v");
        denied(() -> main.getObject(g -> g.bucket(b).key("k")));
        main.putBucketAcl(p -> p.bucket(b).accessControlPolicy(AccessControlPolicy.builder().owner(owner).build()));
        assertThat(main.getBucketAcl(g -> g.bucket(b)).grants()).isEmpty();
        main.putBucketAcl(p -> p.bucket(b).acl(BucketCannedACL.PRIVATE));
    }

    @Test
    void bucketNamesAreSharedAndCopiesNeedTheSourcesReadPermission() {
        String b = name();
        main.createBucket(c -> c.bucket(b));
        fails(() -> alt.createBucket(c -> c.bucket(b)), 409, "BucketAlreadyExists");
        // the owner asking again with the ACL it has succeeds (us-east-1); with another one it is refused
        main.createBucket(c -> c.bucket(b));
        fails(() -> main.createBucket(c -> c.bucket(b).acl(BucketCannedACL.PUBLIC_READ)), 409, "BucketAlreadyExists");
        denied(() -> anon.createBucket(c -> c.bucket(name())));

        main.putObject(p -> p.bucket(b).key("src"), RequestBody.fromString("s"));
        String mine = name();
        alt.createBucket(c -> c.bucket(mine));
        denied(() -> alt.copyObject(c -> c.sourceBucket(b).sourceKey("src").destinationBucket(mine)
                .destinationKey("dst")));
        main.putObjectAcl(p -> p.bucket(b).key("src").acl(ObjectCannedACL.AUTHENTICATED_READ));
        alt.copyObject(c -> c.sourceBucket(b).sourceKey("src").destinationBucket(mine).destinationKey("dst"));
        assertThat(alt.getObjectAcl(g -> g.bucket(mine).key("dst")).owner().id()).isEqualTo("alt-id");
    }

    @Test
    void multipartUploadsKeepTheAclGivenAtCreation() {
        String b = name();
        main.createBucket(c -> c.bucket(b));
        String id = main.createMultipartUpload(c -> c.bucket(b).key("mp").acl(ObjectCannedACL.PUBLIC_READ)).uploadId();
        var part = main.uploadPart(u -> u.bucket(b).key("mp").uploadId(id).partNumber(1), RequestBody.fromString("m"));
        main.completeMultipartUpload(c -> c.bucket(b).key("mp").uploadId(id).multipartUpload(m -> m.parts(
                List.of(software.amazon.awssdk.services.s3.model.CompletedPart.builder().partNumber(1)
                        .eTag(part.eTag()).build()))));
        assertThat(anon.getObjectAsBytes(g -> g.bucket(b).key("mp")).asUtf8String()).isEqualTo("m");
    }

    @Test
    void locationConstraintAndOwnershipControlsAreKept() {
        String b = name();
        main.createBucket(c -> c.bucket(b).createBucketConfiguration(k -> k.locationConstraint("default")));
        assertThat(main.getBucketLocation(g -> g.bucket(b)).locationConstraintAsString()).isEqualTo("default");
        denied(() -> alt.getBucketLocation(g -> g.bucket(b)));
        fails(() -> main.getBucketOwnershipControls(g -> g.bucket(b)), 404, "OwnershipControlsNotFoundError");
        main.putBucketOwnershipControls(p -> p.bucket(b).ownershipControls(o -> o.rules(r -> r.objectOwnership(
                ObjectOwnership.BUCKET_OWNER_ENFORCED))));
        assertThat(main.getBucketOwnershipControls(g -> g.bucket(b)).ownershipControls().rules())
                .extracting(r -> r.objectOwnershipAsString()).containsExactly("BucketOwnerEnforced");
        main.deleteBucketOwnershipControls(d -> d.bucket(b));
        fails(() -> main.getBucketOwnershipControls(g -> g.bucket(b)), 404, "OwnershipControlsNotFoundError");
    }
}
