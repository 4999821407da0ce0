package io.wcache.worker.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.wcache.core.path.NamespacePath;
import io.wcache.persister.testing.PatternSource;
import io.wcache.persister.testing.TempDirs;
import io.wcache.schema.catalog.Extent;
import io.wcache.schema.catalog.FileVersion;
import io.wcache.schema.catalog.PathStatus;
import io.wcache.schema.catalog.PersistState;
import io.wcache.worker.TestWorkers;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Three workers in one process (embedded engine, local UFS, AWS SDK v2 against each worker's S3
 * endpoint): any worker answers any request, writes land on the path's owner on the ring, reads
 * are served by the worker holding the bytes, and large bodies stream through the internal
 * transport both ways.
 */
class ClusterForwardingTest {

    private static Path root;
    private static ClusterRig rig;

    @BeforeAll
    static void start() throws IOException {
        root = TempDirs.create("cluster-fwd-");
        rig = new ClusterRig(root, 3);
    }

    @AfterAll
    static void stop() {
        if (rig != null) {
            rig.close();
        }
        TempDirs.delete(root);
    }

    private static NamespacePath path(String key) {
        return NamespacePath.of("/" + ClusterRig.BUCKET + "/" + key);
    }

    /** The worker holding the bytes of the path's committed version (every extent names it). */
    private static String holder(String key) {
        PathStatus s = rig.worker(0).catalog().files().status(path(key));
        assertThat(s).isInstanceOf(PathStatus.Live.class);
        Set<String> holders = new HashSet<>();
        for (Extent e : ((PathStatus.Live) s).layout().extents()) {
            holders.add(e.worker());
        }
        assertThat(holders).hasSize(1);
        return holders.iterator().next();
    }

    private static String owner(String key) {
        return HashRing.of(List.of("worker-0", "worker-1", "worker-2")).owner(path(key));
    }

    @Test
    void anObjectWrittenThroughAnyWorkerIsReadAtOnceThroughEveryOtherAndLivesOnItsOwner() {
        int forwarded = 0;
        for (int k = 0; k < 12; k++) {
            String key = "raw/obj-" + k;
            int writer = k % 3;
            String body = "body of " + key + " written through worker-" + writer;
            rig.client(writer).putObject(b -> b.bucket(ClusterRig.BUCKET).key(key), RequestBody.fromString(body));
            for (int reader = 0; reader < 3; reader++) {
                int r = reader;
                assertThat(rig.client(r).getObjectAsBytes(b -> b.bucket(ClusterRig.BUCKET).key(key))
                        .asString(StandardCharsets.UTF_8)).as("%s read through worker-%d", key, r).isEqualTo(body);
            }
            assertThat(holder(key)).as("the bytes of %s live on its ring owner", key).isEqualTo(owner(key));
            if (!owner(key).equals("worker-" + writer)) {
                forwarded++;
            }
        }
        assertThat(forwarded).as("some writes went through a worker that does not own the path").isPositive();
    }

    @Test
    void aLargeBodyStreamsToTheOwnerFromANonOwnerAndBackToAnotherNonOwner() throws Exception {
        String key = pickKeyOwnedBy("worker-2", "big/");
        long size = 64L << 20;
        PatternSource body = new PatternSource(size, 42);
        // The body streams: the owner holds most of it before the client has sent the rest. Had the
        // non-owner gathered the whole body before forwarding it, the gate would never open.
        var owner = rig.worker(2).logStore();
        long pinnedBefore = owner.stats().pinnedBytes();
        long gateAt = 48L << 20;
        long mustHold = 24L << 20;
        boolean[] opened = new boolean[1];
        try (InputStream in = new GatedStream(body.open(0, size), gateAt,
                () -> owner.stats().pinnedBytes() - pinnedBefore >= mustHold, opened)) {
            rig.client(0).putObject(b -> b.bucket(ClusterRig.BUCKET).key(key), RequestBody.fromInputStream(in, size));
        }
        assertThat(opened[0]).as("worker-2 held %d MiB of the body before the client sent more than %d MiB",
                mustHold >> 20, gateAt >> 20).isTrue();
        assertThat(holder(key)).isEqualTo("worker-2");
        S3Client other = rig.client(1);
        try (InputStream got = other.getObject(b -> b.bucket(ClusterRig.BUCKET).key(key))) {
            assertThat(PatternSource.sha256(got)).isEqualTo(body.sha256());
        }
        String range = new String(other.getObjectAsBytes(b -> b.bucket(ClusterRig.BUCKET).key(key)
                .range("bytes=1000-1009")).asByteArray(), StandardCharsets.ISO_8859_1);
        byte[] expected;
        try (InputStream in = body.open(1000, 10)) {
            expected = in.readNBytes(10);
        }
        assertThat(range).isEqualTo(new String(expected, StandardCharsets.ISO_8859_1));
    }

    @Test
    void concurrentWritersThroughDifferentWorkersLeaveTheLastCommitEverywhereAndInTheUfs() throws Exception {
        String key = "race/one";
        int writers = 6;
        ExecutorService pool = Executors.newFixedThreadPool(writers);
        CountDownLatch go = new CountDownLatch(1);
        List<CompletableFuture<String>> etags = new ArrayList<>();
        try {
            for (int w = 0; w < writers; w++) {
                int i = w;
                S3Client c = rig.client(i % 3);
                etags.add(CompletableFuture.supplyAsync(() -> {
                    try {
                        go.await();
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                    return c.putObject(b -> b.bucket(ClusterRig.BUCKET).key(key),
                            RequestBody.fromString("writer " + i + " " + "x".repeat(1000 * i))).eTag();
                }, pool));
            }
            go.countDown();
            CompletableFuture.allOf(etags.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
        } finally {
            pool.shutdownNow();
        }
        FileVersion last = rig.worker(0).catalog().files().lookup(path(key)).orElseThrow();
        String finalBody = null;
        for (int r = 0; r < 3; r++) {
            int i = r;
            String got = rig.client(i).getObjectAsBytes(b -> b.bucket(ClusterRig.BUCKET).key(key))
                    .asString(StandardCharsets.UTF_8);
            finalBody = finalBody == null ? got : finalBody;
            assertThat(got).as("worker-%d reads the last commit", i).isEqualTo(finalBody);
        }
        String lastEtag = last.etag().replace("\"", "");
        assertThat(etags.stream().map(CompletableFuture::join).map(e -> e.replace("\"", "")).toList())
                .as("the version left is one a writer was acknowledged").contains(lastEtag);
        assertThat(finalBody.length()).isEqualTo(last.size());
        Path inUfs = TestWorkers.ufsDir(root).resolve("race/one");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (rig.worker(0).catalog().files().lookup(path(key)).orElseThrow().persistState() != PersistState.PERSISTED) {
            assertThat(System.nanoTime()).as("the last version is persisted").isLessThan(deadline);
            Thread.sleep(20);
        }
        assertThat(rig.worker(0).catalog().files().lookup(path(key)).orElseThrow().generation()).isEqualTo(last.generation());
        assertThat(Files.readString(inUfs)).isEqualTo(finalBody);
    }

    @Test
    void aWriteThroughMultipartUploadThroughNonOwnersCompletesAndIsPersistedFromItsOwner() throws Exception {
        // WRITE_THROUGH: the completion uploads the parts' bytes in its commit, so it must run where they are.
        rig.worker(0).catalog().cluster().putPathRule(new io.wcache.core.policy.PathRule(
                NamespacePath.of("/" + ClusterRig.BUCKET + "/mpu-wt"), io.wcache.core.policy.WritePolicy.WRITE_THROUGH, 1));
        rig.cluster.workers().forEach(w -> w.cacheService().refreshPathConfig());
        String key = pickKeyOwnedBy("worker-2", "mpu-wt/");
        byte[] one = new byte[5 << 20];
        byte[] two = "the last part".getBytes(StandardCharsets.UTF_8);
        new java.util.Random(3).nextBytes(one);
        S3Client c0 = rig.client(0);
        String id = c0.createMultipartUpload(b -> b.bucket(ClusterRig.BUCKET).key(key)).uploadId();
        String e1 = c0.uploadPart(b -> b.bucket(ClusterRig.BUCKET).key(key).uploadId(id).partNumber(1),
                RequestBody.fromBytes(one)).eTag();
        String e2 = rig.client(1).uploadPart(b -> b.bucket(ClusterRig.BUCKET).key(key).uploadId(id).partNumber(2),
                RequestBody.fromBytes(two)).eTag();
        rig.client(1).completeMultipartUpload(b -> b.bucket(ClusterRig.BUCKET).key(key).uploadId(id)
                .multipartUpload(m -> m.parts(p -> p.partNumber(1).eTag(e1), p -> p.partNumber(2).eTag(e2))));
        byte[] whole = new byte[one.length + two.length];
        System.arraycopy(one, 0, whole, 0, one.length);
        System.arraycopy(two, 0, whole, one.length, two.length);
        assertThat(holder(key)).isEqualTo("worker-2");
        assertThat(rig.worker(0).catalog().files().lookup(path(key)).orElseThrow().persistState())
                .as("persisted in the commit").isEqualTo(PersistState.PERSISTED);
        assertThat(Files.readAllBytes(TestWorkers.ufsDir(root).resolve(key))).isEqualTo(whole);
        for (int r = 0; r < 3; r++) {
            int i = r;
            assertThat(rig.client(i).getObjectAsBytes(b -> b.bucket(ClusterRig.BUCKET).key(key)).asByteArray())
                    .as("read through worker-%d", i).isEqualTo(whole);
        }
    }

    /**
     * A body that stops after {@code gateAt} bytes until {@code open} holds (at most 30 s, then it
     * goes on and leaves {@code opened[0]} false, so the test fails instead of hanging).
     */
    static final class GatedStream extends java.io.FilterInputStream {
        private final long gateAt;
        private final java.util.function.BooleanSupplier open;
        private final boolean[] opened;
        private long sent;
        private boolean waited;

        GatedStream(InputStream in, long gateAt, java.util.function.BooleanSupplier open, boolean[] opened) {
            super(in);
            this.gateAt = gateAt;
            this.open = open;
            this.opened = opened;
        }

        private int allowed(int len) throws IOException {
            if (sent < gateAt) {
                return (int) Math.min(len, gateAt - sent);
            }
            if (!waited) {
                waited = true;
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (!(opened[0] = open.getAsBoolean()) && System.nanoTime() < deadline) {
                    try {
                        Thread.sleep(10);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new java.io.InterruptedIOException();
                    }
                }
            }
            return len;
        }

        @Override
        public int read() throws IOException {
            allowed(1);
            int b = super.read();
            sent += b < 0 ? 0 : 1;
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, allowed(len));
            sent += Math.max(n, 0);
            return n;
        }
    }

    static String pickKeyOwnedBy(String worker, String prefix) {
        for (int i = 0; ; i++) {
            String key = prefix + "k" + i;
            if (owner(key).equals(worker)) {
                return key;
            }
        }
    }
}
