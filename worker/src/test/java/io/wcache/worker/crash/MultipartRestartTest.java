package io.wcache.worker.crash;

import static org.assertj.core.api.Assertions.assertThat;

import io.wcache.core.cache.ObjectInfo;
import io.wcache.core.cache.ObjectReader;
import io.wcache.core.cache.PartInfo;
import io.wcache.core.cache.PartRef;
import io.wcache.core.cache.WriteOptions;
import io.wcache.core.cache.WriteSession;
import io.wcache.core.path.NamespacePath;
import io.wcache.core.policy.PathRule;
import io.wcache.core.policy.WritePolicy;
import io.wcache.worker.TestWorkers;
import io.wcache.worker.Worker;
import io.wcache.worker.cache.WorkerCacheService;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An acknowledged part of a multipart upload is as durable as a PUT: after a clean stop, or a
 * SIGKILL of the worker's JVM with a further part in flight, the upload is still listed, its
 * parts list with their sizes and ETags, and completing it gives the object byte for byte.
 */
class MultipartRestartTest {

    private static final NamespacePath PATH = NamespacePath.of("/m/big/object.bin");

    @TempDir
    Path root;

    @Test
    void acknowledgedPartsSurviveACleanStopAndCompleteByteIdentical() throws Exception {
        String uploadId;
        Map<Integer, String> etags = new TreeMap<>();
        try (Worker w = TestWorkers.start(root)) {
            WorkerCacheService cache = w.cacheService();
            uploadId = WorkerCacheService.await(cache.createMultipart(PATH, WriteOptions.defaults())).uploadId();
            for (int n = 1; n <= 3; n++) {
                WriteSession s = WorkerCacheService.await(cache.uploadPart(PATH, uploadId, n));
                byte[] body = MultipartCrashChild.part(n);
                for (int off = 0; off < body.length; off += 256 * 1024) {
                    WorkerCacheService.await(s.append(ByteBuffer.wrap(body, off, 256 * 1024)));
                }
                etags.put(n, WorkerCacheService.await(s.commit()).etag());
            }
        }
        completeAfterRestart(uploadId, etags, false);
    }

    /**
     * A part of a WRITE_THROUGH upload is evictable when written; restart recovery restored it
     * pinned whatever the upload's policy, and the completion (uploaded, committed persisted)
     * unpinned nothing: the worker counted its bytes as pinned for good.
     */
    @Test
    void writeThroughPartsAreNotPinnedAfterACleanStopNorAfterTheirCompletion() throws Exception {
        NamespacePath path = NamespacePath.of("/m/wt/object.bin");
        byte[] body = MultipartCrashChild.part(1);
        String uploadId;
        String etag;
        try (Worker w = TestWorkers.start(root)) {
            w.catalog().cluster().putPathRule(new PathRule(NamespacePath.of("/m/wt"), WritePolicy.WRITE_THROUGH, 1));
            WorkerCacheService cache = w.cacheService();
            uploadId = WorkerCacheService.await(cache.createMultipart(path, WriteOptions.defaults())).uploadId();
            WriteSession s = WorkerCacheService.await(cache.uploadPart(path, uploadId, 1));
            WorkerCacheService.await(s.append(ByteBuffer.wrap(body)));
            etag = WorkerCacheService.await(s.commit()).etag();
            assertThat(w.logStore().stats().pinnedBytes()).isZero();
        }
        try (Worker w = TestWorkers.start(root)) {
            assertThat(w.logStore().stats().pinnedBytes()).as("after the restart").isZero();
            ObjectInfo done = WorkerCacheService.await(w.cacheService().completeMultipart(path, uploadId,
                    List.of(new PartRef(1, etag))));
            assertThat(done.size()).isEqualTo(body.length);
            assertThat(Files.readAllBytes(TestWorkers.ufsDir(root).resolve("wt/object.bin"))).isEqualTo(body);
            assertThat(w.logStore().stats().pinnedBytes()).as("after the completion").isZero();
        }
    }

    @Test
    void acknowledgedPartsSurviveSigkillWithAPartInFlightAndCompleteByteIdentical() throws Exception {
        Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-XX:+UseSerialGC", "-cp", System.getProperty("surefire.test.class.path",
                System.getProperty("java.class.path")),
                MultipartCrashChild.class.getName(), root.toString(), PATH.toString(), "3")
                .redirectError(root.resolve("child.err").toFile())
                .start();
        String uploadId = null;
        Map<Integer, String> etags = new TreeMap<>();
        boolean inFlight = false;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            // Bounded: the child prints five lines, then waits; a child that dies ends the stream.
            String line;
            while (!inFlight && (line = r.readLine()) != null) {
                String[] f = line.split(" ");
                switch (f[0]) {
                    case "UPLOAD" -> uploadId = f[1];
                    case "PART" -> etags.put(Integer.parseInt(f[1]), f[2]);
                    case "INFLIGHT" -> inFlight = true;
                    default -> { }
                }
            }
        } finally {
            child.destroyForcibly();
            assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(inFlight).as("child ran to its in-flight part; stderr: %s",
                Files.readString(root.resolve("child.err"))).isTrue();
        assertThat(etags).hasSize(3);
        completeAfterRestart(uploadId, etags, true);
    }

    private void completeAfterRestart(String uploadId, Map<Integer, String> etags, boolean partFourStarted)
            throws Exception {
        try (Worker w = TestWorkers.start(root)) {
            WorkerCacheService cache = w.cacheService();
            assertThat(WorkerCacheService.await(cache.listMultipartUploads("/m/big/")))
                    .extracting(u -> u.uploadId()).containsExactly(uploadId);
            List<PartInfo> parts = WorkerCacheService.await(cache.listParts(PATH, uploadId));
            assertThat(parts).extracting(PartInfo::partNumber).containsExactly(1, 2, 3);
            List<PartRef> refs = new ArrayList<>();
            ByteArrayOutputStream expected = new ByteArrayOutputStream();
            MessageDigest md5OfMd5s = MessageDigest.getInstance("MD5");
            for (PartInfo p : parts) {
                assertThat(p.size()).isEqualTo(MultipartCrashChild.PART);
                assertThat(p.etag()).isEqualTo(etags.get(p.partNumber()));
                byte[] body = MultipartCrashChild.part(p.partNumber());
                assertThat(p.etag()).isEqualTo(HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(body)));
                md5OfMd5s.update(HexFormat.of().parseHex(p.etag()));
                expected.write(body);
                refs.add(new PartRef(p.partNumber(), p.etag()));
            }
            ObjectInfo done = WorkerCacheService.await(cache.completeMultipart(PATH, uploadId, refs));
            assertThat(done.size()).isEqualTo(3L * MultipartCrashChild.PART);
            assertThat(done.etag()).isEqualTo(HexFormat.of().formatHex(md5OfMd5s.digest()) + "-3");
            assertThat(read(cache)).isEqualTo(expected.toByteArray());
        }
        // And once more after a further restart: the completed object is an ordinary committed version.
        try (Worker w = TestWorkers.start(root)) {
            byte[] again = read(w.cacheService());
            assertThat(again).hasSize(3 * MultipartCrashChild.PART);
            assertThat(WorkerCacheService.await(w.cacheService().listMultipartUploads("/m/"))).isEmpty();
        }
    }

    private static byte[] read(WorkerCacheService cache) {
        try (ObjectReader r = WorkerCacheService.await(cache.open(PATH))) {
            ByteBuffer b = WorkerCacheService.await(r.read(0, (int) r.info().size()));
            byte[] out = new byte[b.remaining()];
            b.get(out);
            return out;
        }
    }
}
