package io.wcache.persister.async;

import io.wcache.persister.testing.EmbeddedS3Server;
import io.wcache.persister.testing.PatternSource;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * The worker process of {@link PersisterRestartTest}: writes {@code count} WRITE_BACK objects
 * while every upload hangs, waits until uploads are in flight (some fast-path, some claimed from
 * the durable queue), prints {@code READY} and waits to be killed.
 */
public final class RestartChild {

    private RestartChild() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        String endpoint = args[1];
        int count = Integer.parseInt(args[2]);
        Map<String, String> options = new HashMap<>();
        options.put("endpoint", endpoint);
        options.put("access.key", EmbeddedS3Server.ACCESS_KEY);
        options.put("secret.key", EmbeddedS3Server.SECRET_KEY);
        FaultyUfs ufs = new FaultyUfs(S3Rig.ufs(options));
        ufs.beforePut(k -> {
            try {
                Thread.sleep(Duration.ofHours(1).toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        PersisterConfig config = PersisterConfig.of(PersistRig.WORKER, 3, new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(10)))
                .withPollInterval(Duration.ofMillis(50));
        PersistRig rig = new PersistRig(dir, ufs, config);
        rig.persister.start();
        for (int i = 0; i < count; i++) {
            long size = i == 0 ? 12L << 20 : 10 << 10;
            // Only two events reach the fast path; the rest are left to the durable queue, whose
            // claims put them under this worker's lease, so both kinds are pending at the kill.
            rig.writeBack("r/" + i, new PatternSource(size, i), "1", i < 2);
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (rig.persister.stats().inFlight() < 3 || rig.catalog.persistQueue().pendingTasks(count).stream()
                .noneMatch(t -> t.leaseOwner().isPresent())) {
            if (System.nanoTime() > deadline) {
                System.out.println("NOT-READY " + rig.persister.stats());
                System.exit(2);
            }
            Thread.sleep(20);
        }
        System.out.println("READY " + ufs.putsStarted());
        System.out.flush();
        Thread.sleep(Duration.ofMinutes(5).toMillis());
    }
}
