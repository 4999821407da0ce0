package io.wcache.worker.e2e.s3;

import static org.assertj.core.api.Assertions.assertThat;

import io.wcache.core.path.NamespacePath;
import io.wcache.core.policy.WritePolicy;
import io.wcache.core.policy.PathRule;
import io.wcache.persister.testing.EmbeddedS3Server;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.jclouds.blobstore.BlobStore;
import org.jclouds.blobstore.domain.Blob;
import org.jclouds.blobstore.domain.BlobMetadata;
import org.jclouds.blobstore.options.GetOptions;
import org.jclouds.blobstore.util.ForwardingBlobStore;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A GET of an object only the object store holds: a small one costs the store one request (no
 * HEAD before the GET), answers with the store's bytes, metadata and ETag, and is served from the
 * cache afterwards; a large one is loaded into the cache from that same one GET. Bucket {@code s} is a mount on s3proxy,
 * whose store counts the reads it answers.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ColdReadEndToEndTest {

    static final String UFS_BUCKET = "ufs";
    static final String BUCKET = "s";

    @TempDir
    static Path root;
    final AtomicInteger gets = new AtomicInteger();
    final AtomicInteger heads = new AtomicInteger();
    /** While set, the store answers HEADs but fails every read: it went down between the two. */
    volatile boolean readsFail;
    EmbeddedS3Server proxy;
    S3Rig rig;
    S3Client s3;
    S3Client ufs;

    private BlobStore counting(BlobStore real) {
        return new ForwardingBlobStore(real) {
            @Override
            public Blob getBlob(String container, String name) {
                gets.incrementAndGet();
                failReadIfDown();
                return super.getBlob(container, name);
            }

            @Override
            public Blob getBlob(String container, String name, GetOptions options) {
                gets.incrementAndGet();
                failReadIfDown();
                return super.getBlob(container, name, options);
            }

            @Override
            public BlobMetadata blobMetadata(String container, String name) {
                heads.incrementAndGet();
                return super.blobMetadata(container, name);
            }
        };
    }

    private void failReadIfDown() {
        if (readsFail) {
            throw new RuntimeException("injected: the store's disk is gone");
        }
    }

    @BeforeAll
    void start() throws Exception {
        proxy = EmbeddedS3Server.start(root.resolve("s3proxy"), this::counting);
        proxy.createBucket(UFS_BUCKET);
        rig = new S3Rig(root.resolve("worker"), "mounts=[" + proxy.mountEntry("/" + BUCKET, UFS_BUCKET + "/pre") + "]");
        rig.worker.catalog().cluster().putPathRule(new PathRule(NamespacePath.of("/" + BUCKET + "/nc"), WritePolicy.NO_CACHE, 1));
        s3 = rig.client();
        ufs = proxy.client(50);
    }

    @AfterAll
    void stop() throws Exception {
        s3.close();
        ufs.close();
        rig.close();
        proxy.close();
    }

    private static byte[] body(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    private void awaitCached(String key) throws InterruptedException {
        NamespacePath p = NamespacePath.of("/" + BUCKET + "/" + key);
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (rig.worker.catalog().files().lookup(p).isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertThat(rig.worker.catalog().files().lookup(p)).as("%s loaded into the cache", key).isPresent();
    }

    @Test
    void aSmallColdObjectCostsTheStoreOneGetAndIsCachedBehindTheRead() throws Exception {
        byte[] small = body(10 * 1024, 1);
        String etag = ufs.putObject(b -> b.bucket(UFS_BUCKET).key("pre/c/small").contentType("application/x-test")
                .metadata(java.util.Map.of("origin", "elsewhere")), RequestBody.fromBytes(small)).eTag();
        gets.set(0);
        heads.set(0);
        var got = s3.getObjectAsBytes(b -> b.bucket(BUCKET).key("c/small"));
        assertThat(got.asByteArray()).isEqualTo(small);
        assertThat(got.response().eTag()).isEqualTo(etag);
        assertThat(got.response().contentType()).isEqualTo("application/x-test");
        assertThat(got.response().metadata()).containsEntry("origin", "elsewhere");
        assertThat(gets.get()).as("GETs the store answered").isEqualTo(1);
        assertThat(heads.get()).as("HEADs the store answered").isZero();

        awaitCached("c/small");
        gets.set(0);
        heads.set(0);
        var again = s3.getObjectAsBytes(b -> b.bucket(BUCKET).key("c/small"));
        assertThat(again.asByteArray()).isEqualTo(small);
        assertThat(again.response().eTag()).isEqualTo(etag);
        assertThat(again.response().metadata()).containsEntry("origin", "elsewhere");
        assertThat(gets.get() + heads.get()).as("requests to the store once cached").isZero();

        var range = s3.getObjectAsBytes(b -> b.bucket(BUCKET).key("c/small").range("bytes=100-199"));
        assertThat(range.asByteArray()).isEqualTo(java.util.Arrays.copyOfRange(small, 100, 200));
    }

    @Test
    void aLargeColdObjectIsReadWholeAndRanged() throws Exception {
        byte[] big = body(3 * 1024 * 1024 + 17, 2);
        ufs.putObject(b -> b.bucket(UFS_BUCKET).key("pre/c/big"), RequestBody.fromBytes(big));
        gets.set(0);
        heads.set(0);
        assertThat(s3.getObjectAsBytes(b -> b.bucket(BUCKET).key("c/big")).asByteArray()).isEqualTo(big);
        assertThat(gets.get()).as("GETs the store answered: one, read into the cache as it arrives").isEqualTo(1);
        assertThat(heads.get()).as("HEADs the store answered").isZero();
        awaitCached("c/big");
        var tail = s3.getObjectAsBytes(b -> b.bucket(BUCKET).key("c/big").range("bytes=-17"));
        assertThat(tail.asByteArray()).isEqualTo(java.util.Arrays.copyOfRange(big, big.length - 17, big.length));
    }

    /**
     * A read from the store that fails before the first byte is answered as the store's outage (503),
     * not with a 200 whose body is cut off: a client then retries instead of reading a broken
     * connection. Before, the head went out first and the connection was closed after it.
     */
    @Test
    void aStoreThatFailsTheReadBeforeTheFirstByteIsA503NotACutOffResponse() throws Exception {
        byte[] body = body(64 * 1024, 3);
        ufs.putObject(b -> b.bucket(UFS_BUCKET).key("pre/nc/obj"), RequestBody.fromBytes(body));
        assertThat(s3.getObjectAsBytes(b -> b.bucket(BUCKET).key("nc/obj")).asByteArray()).isEqualTo(body);
        readsFail = true;
        try {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> s3.getObjectAsBytes(b -> b.bucket(BUCKET).key("nc/obj")))
                    .as("a GET whose store read failed")
                    .isInstanceOfSatisfying(software.amazon.awssdk.services.s3.model.S3Exception.class,
                            e -> assertThat(e.statusCode()).isEqualTo(503));
        } finally {
            readsFail = false;
        }
        assertThat(s3.getObjectAsBytes(b -> b.bucket(BUCKET).key("nc/obj")).asByteArray()).as("once it is back")
                .isEqualTo(body);
    }

    @Test
    void anEmptyColdObjectAndAMissingOne() {
        ufs.putObject(b -> b.bucket(UFS_BUCKET).key("pre/c/empty"), RequestBody.fromBytes(new byte[0]));
        assertThat(s3.getObjectAsBytes(b -> b.bucket(BUCKET).key("c/empty")).asByteArray()).isEmpty();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> s3.getObjectAsBytes(b -> b.bucket(BUCKET).key("c/none")))
                .isInstanceOf(software.amazon.awssdk.services.s3.model.NoSuchKeyException.class);
    }
}
