package io.wcache.fdb.embedded;

import com.apple.foundationdb.Transaction;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The child process of {@link CrashDurabilityTest}: commits multi-key transactions from several threads
 * as fast as it can and prints {@code ACK <id>} only after each commit's future completed, until killed.
 * Memtables are flushed every few milliseconds meanwhile, so the engine reuses obsolete WAL files and
 * the kill finds commits written over an earlier file's records as well as into fresh files.
 */
public final class CrashingCommitter {
    /** Keys written by each transaction; all must survive together or not at all. */
    static final int KEYS_PER_TRANSACTION = 4;

    private CrashingCommitter() {
    }

    static byte[] key(long id, int part) {
        return String.format("crash/%012d/%d", id, part).getBytes(StandardCharsets.US_ASCII);
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        long base = Long.parseLong(args[1]);
        int threads = Integer.parseInt(args[2]);
        EmbeddedDatabase db = EmbeddedDatabase.open(dir);
        System.out.println("READY " + db.committedVersion());
        System.out.flush();
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            long first = base + t * 1_000_000L;
            Thread worker = new Thread(() -> {
                for (long id = first; ; id++) {
                    try (Transaction tr = db.createTransaction()) {
                        for (int part = 0; part < KEYS_PER_TRANSACTION; part++) {
                            tr.set(key(id, part), new byte[64 + part]);
                        }
                        tr.commit().join();
                        long version = tr.getCommittedVersion();
                        synchronized (System.out) {
                            System.out.println("ACK " + id + " " + version);
                            System.out.flush();
                        }
                    }
                }
            });
            worker.start();
            workers.add(worker);
        }
        Thread flusher = new Thread(() -> {
            while (true) {
                db.store().flushMemtables();
                try {
                    Thread.sleep(15);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        flusher.setDaemon(true);
        flusher.start();
        for (Thread w : workers) {
            w.join();
        }
    }
}
