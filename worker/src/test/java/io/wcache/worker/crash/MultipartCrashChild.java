package io.wcache.worker.crash;

import io.wcache.core.cache.WriteOptions;
import io.wcache.core.cache.WriteSession;
import io.wcache.core.path.NamespacePath;
import io.wcache.worker.TestWorkers;
import io.wcache.worker.Worker;
import io.wcache.worker.WorkerOptions;
import io.wcache.worker.cache.WorkerCacheService;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

/**
 * The child JVM of {@link MultipartRestartTest}: runs a real worker, starts a multipart upload of
 * {@code path} and uploads {@code parts} parts, printing {@code UPLOAD <id>} and then
 * {@code PART <n> <etag>} once each part is acknowledged; then starts one more part that it never
 * finishes ({@code INFLIGHT}) and waits to be killed.
 */
public final class MultipartCrashChild {

    /** The size of every part but the last: S3's minimum. */
    public static final int PART = 5 * 1024 * 1024;

    private MultipartCrashChild() {
    }

    /** The deterministic bytes of part {@code n}. */
    public static byte[] part(int n) {
        byte[] b = new byte[PART];
        new Random(1000 + n).nextBytes(b);
        return b;
    }

    public static void main(String[] args) throws Exception {
        Path root = Path.of(args[0]);
        NamespacePath path = NamespacePath.of(args[1]);
        int parts = Integer.parseInt(args[2]);
        PrintStream out = System.out;
        Worker worker = Worker.start(TestWorkers.config(root), WorkerOptions.defaults().withPersister(false)
                .withSegmentSize(4L << 20), List.of());
        WorkerCacheService cache = worker.cacheService();
        String uploadId = WorkerCacheService.await(cache.createMultipart(path, WriteOptions.defaults())).uploadId();
        out.println("UPLOAD " + uploadId);
        out.flush();
        for (int n = 1; n <= parts; n++) {
            WriteSession s = WorkerCacheService.await(cache.uploadPart(path, uploadId, n));
            byte[] body = part(n);
            for (int off = 0; off < body.length; off += 256 * 1024) {
                WorkerCacheService.await(s.append(ByteBuffer.wrap(body, off, 256 * 1024)));
            }
            String etag = WorkerCacheService.await(s.commit()).etag();
            out.println("PART " + n + " " + etag);
            out.flush();
        }
        // A part that is never acknowledged: its bytes are on their way when the process dies.
        WriteSession s = WorkerCacheService.await(cache.uploadPart(path, uploadId, parts + 1));
        byte[] body = part(parts + 1);
        WorkerCacheService.await(s.append(ByteBuffer.wrap(body, 0, 3 * 1024 * 1024)));
        out.println("INFLIGHT");
        out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }
}
