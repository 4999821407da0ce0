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
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The child JVM of {@link WorkerCrashTest}: runs a real worker and concurrent writers, printing
 * {@code ACK <path> <sha256>} for every acknowledged write, until it is killed.
 */
public final class CrashWriterChild {

    private CrashWriterChild() {
    }

    /** The deterministic body of a path: its size is the last name component, its bytes seeded by the path. */
    public static byte[] body(String path) {
        int size = Integer.parseInt(path.substring(path.lastIndexOf('-') + 1));
        byte[] b = new byte[size];
        new Random(path.hashCode()).nextBytes(b);
        return b;
    }

    public static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    public static void main(String[] args) throws Exception {
        Path root = Path.of(args[0]);
        int round = Integer.parseInt(args[1]);
        int writers = Integer.parseInt(args[2]);
        PrintStream out = System.out;
        Worker worker = Worker.start(TestWorkers.config(root), WorkerOptions.defaults().withSegmentSize(4L << 20), List.of());
        WorkerCacheService cache = worker.cacheService();
        synchronized (out) {
            out.println("READY");
            out.flush();
        }
        for (int t = 0; t < writers; t++) {
            int writer = t;
            Thread th = new Thread(() -> {
                ThreadLocalRandom rnd = ThreadLocalRandom.current();
                for (int i = 0; ; i++) {
                    int size = rnd.nextInt(16) == 0 ? rnd.nextInt(1_000_000, 1_800_000) : rnd.nextInt(0, 64_000);
                    String path = "/m/r" + round + "/w" + writer + "-" + i + "-" + size;
                    try {
                        byte[] body = body(path);
                        WriteSession s = WorkerCacheService.await(cache.create(NamespacePath.of(path), WriteOptions.defaults()));
                        for (int off = 0; off < body.length; off += 256 * 1024) {
                            WorkerCacheService.await(s.append(ByteBuffer.wrap(body, off, Math.min(256 * 1024, body.length - off))));
                        }
                        WorkerCacheService.await(s.commit());
                        String line = "ACK " + path + " " + sha256(body);
                        synchronized (out) {
                            out.println(line);
                            out.flush();
                        }
                    } catch (Exception e) {
                        synchronized (out) {
                            out.println("ERR " + path + " " + e);
                            out.flush();
                        }
                    }
                }
            }, "writer-" + t);
            th.start();
        }
        Thread.sleep(Long.MAX_VALUE);
    }
}
