package io.wcache.properties.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wcache.core.cache.ObjectReader;
import io.wcache.core.cache.PersistStatus;
import io.wcache.core.cache.WriteOptions;
import io.wcache.core.cache.WriteSession;
import io.wcache.core.config.WcacheConfig;
import io.wcache.core.error.WcacheException;
import io.wcache.core.path.NamespacePath;
import io.wcache.logstore.Location;
import io.wcache.logstore.segment.SegmentFormat;
import io.wcache.persister.testing.TempDirs;
import io.wcache.schema.catalog.ExtentCodec;
import io.wcache.properties.support.Bounded;
import io.wcache.properties.support.SoakTries;
import io.wcache.persister.async.Backoff;
import io.wcache.persister.async.PersisterConfig;
import io.wcache.worker.Worker;
import io.wcache.worker.WorkerOptions;
import io.wcache.worker.cache.WorkerCacheService;
import io.wcache.worker.persist.AsyncPersister;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;

/**
 * Bit flips at random offsets of the segment files of a worker holding persisted and unpersisted
 * versions (in sealed segments and in the one being appended to), between a clean stop and a
 * start: a fault costs only the objects it touched, and the UFS loses nothing.
 *
 * <ul>
 * <li>an object none of whose record bytes was flipped reads back its latest version;</li>
 * <li>a touched object whose latest version is persisted reads back that version (from the UFS);</li>
 * <li>a touched object whose latest version is not persisted fails with {@code Corruption} and
 * shows {@code DAMAGED} (never an older version, never "not found", never wrong bytes);</li>
 * <li>after the persister runs, the UFS holds the latest version of every untouched object and the
 * last persisted version of every touched one: recovery deleted and overwrote nothing.</li>
 * </ul>
 * The worker runs in this JVM (no crash is involved) with a local directory as its UFS and small
 * segments, so a few objects span sealed segments and the active one.
 */
@SoakTries
class BitFlipProperties {

    private static final Duration STEP = Duration.ofSeconds(60);

    /** One object: its size, whether its first version is persisted, whether it is then overwritten. */
    record Obj(int size, boolean persistFirst, boolean overwrite) {
    }

    /** A flip: which segment file (fraction of the sorted list), where in it (fraction), which bits. */
    record Flip(double file, double at, byte xor) {
    }

    @Provide
    Arbitrary<List<Obj>> objects() {
        Arbitrary<Integer> size = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(3, Arbitraries.integers().between(1, 4_000)),
                net.jqwik.api.Tuple.of(2, Arbitraries.integers().between(60_000, 300_000)));
        return Combinators.combine(size, Arbitraries.of(true, false), Arbitraries.of(true, false)).as(Obj::new)
                .list().ofMinSize(3).ofMaxSize(12);
    }

    @Provide
    Arbitrary<List<Flip>> flips() {
        Arbitrary<Double> fraction = Arbitraries.doubles().between(0, 1);
        return Combinators.combine(fraction, fraction, Arbitraries.bytes().filter(b -> b != 0)).as(Flip::new)
                .list().ofMinSize(1).ofMaxSize(3);
    }

    @Property(tries = 12)
    void aBitFlipCostsOnlyTheObjectsItTouchedAndTheUfsLosesNothing(@ForAll("objects") List<Obj> objects,
                                                                   @ForAll("flips") List<Flip> flips) throws Exception {
        Path root = TempDirs.create("bitflip");
        Worker[] worker = new Worker[1];
        try {
            int n = objects.size();
            byte[][] latest = new byte[n][];
            byte[][] persisted = new byte[n][];
            boolean[] latestPersisted = new boolean[n];
            Location[][] records = new Location[n][];
            Bounded.run("write, persist, overwrite, stop", STEP, () -> {
                worker[0] = start(root);
                for (int i = 0; i < n; i++) {
                    latest[i] = body(objects.get(i).size(), i);
                    if (objects.get(i).persistFirst()) {
                        write(worker[0], i, latest[i]);
                        persisted[i] = latest[i];
                        latestPersisted[i] = true;
                    }
                }
                drain(worker[0]);
                for (int i = 0; i < n; i++) {
                    if (!objects.get(i).persistFirst()) {
                        write(worker[0], i, latest[i]);
                    }
                }
                for (int i = 0; i < n; i++) {
                    if (objects.get(i).overwrite()) {
                        latest[i] = body(objects.get(i).size() + 7, 1000 + i);
                        write(worker[0], i, latest[i]);
                        latestPersisted[i] = false;
                    }
                }
                for (int i = 0; i < n; i++) {
                    records[i] = worker[0].catalog().files().layout(path(i)).orElseThrow().extents().stream()
                            .map(ExtentCodec::toLocation).toArray(Location[]::new);
                }
                worker[0].close();
                worker[0] = null;
            });

            List<Path> segments = SegmentFiles.list(root.resolve("cache"));
            boolean[] touched = new boolean[n];
            // Flips of one byte combine (two equal flips cancel out): a byte is touched if it changed.
            java.util.Map<java.util.Map.Entry<Path, Long>, Integer> changes = new java.util.LinkedHashMap<>();
            for (Flip f : flips) {
                Path seg = segments.get((int) Math.min(segments.size() - 1, (long) (f.file() * segments.size())));
                long size = Files.size(seg);
                long at = Math.min(size - 1, (long) (f.at() * size));
                changes.merge(java.util.Map.entry(seg, at), f.xor() & 0xff, (x, y) -> x ^ y);
            }
            for (var c : changes.entrySet()) {
                if (c.getValue() == 0) {
                    continue;
                }
                Path seg = c.getKey().getKey();
                long at = c.getKey().getValue();
                long segmentId = SegmentFiles.id(seg);
                SegmentFiles.flip(seg, at, (byte) (int) c.getValue());
                for (int i = 0; i < n; i++) {
                    for (Location l : records[i]) {
                        if (l.segmentId() == segmentId && at >= l.position()
                                && at < l.position() + SegmentFormat.frameSize(l.length())) {
                            touched[i] = true;
                        }
                    }
                }
            }

            int touchedPersisted = 0;
            int touchedUnpersisted = 0;
            for (int i = 0; i < n; i++) {
                if (touched[i]) {
                    if (latestPersisted[i]) {
                        touchedPersisted++;
                    } else {
                        touchedUnpersisted++;
                    }
                }
            }
            Statistics.label("touched persisted").collect(touchedPersisted);
            Statistics.label("touched unpersisted").collect(touchedUnpersisted);
            Bounded.run("restart and read", STEP, () -> {
                worker[0] = start(root);
                WorkerCacheService cache = worker[0].cacheService();
                for (int i = 0; i < n; i++) {
                    int k = i;
                    if (!touched[i] || latestPersisted[i]) {
                        assertThat(read(cache, i)).as("object %d (touched=%s)", i, touched[i]).isEqualTo(latest[i]);
                    } else {
                        // Touched and not persisted: reported, never other bytes, an older version or absent.
                        assertThatThrownBy(() -> read(cache, k)).as("object %d", k)
                                .isInstanceOf(WcacheException.Corruption.class);
                        assertThat(WorkerCacheService.await(cache.stat(path(k))).orElseThrow().persistStatus())
                                .as("object %d is reported", k).isEqualTo(PersistStatus.DAMAGED);
                    }
                }
                drain(worker[0]);
                for (int i = 0; i < n; i++) {
                    Path ufs = root.resolve("ufs").resolve("obj-" + i);
                    boolean damaged = WorkerCacheService.await(cache.stat(path(i))).orElseThrow().persistStatus()
                            == PersistStatus.DAMAGED;
                    byte[] expected = damaged ? persisted[i] : latest[i];
                    if (expected == null) {
                        assertThat(ufs).as("object %d was never persisted", i).doesNotExist();
                    } else {
                        assertThat(Files.readAllBytes(ufs)).as("UFS copy of object %d", i).isEqualTo(expected);
                    }
                }
                worker[0].close();
                worker[0] = null;
            });
        } finally {
            if (worker[0] != null) {
                worker[0].close();
            }
            TempDirs.delete(root);
        }
    }

    private static Worker start(Path root) {
        String yaml = "data.dir: " + root.toAbsolutePath() + "\n"
                + "metadata.engine: embedded:" + root.resolve("meta").toAbsolutePath() + "\n"
                + "cache.dirs: [" + root.resolve("cache").toAbsolutePath() + "]\n"
                + "cache.capacity: 256MiB\n"
                + "path.default.policy: WRITE_BACK\n"
                + "mounts:\n  - path: /m\n    ufs: " + root.resolve("ufs").toAbsolutePath().toUri() + "\n";
        WcacheConfig config = WcacheConfig.fromYaml(yaml, "bit flip property", List.of());
        return Worker.start(config, WorkerOptions.defaults().withPersister(false).withSegmentSize(256 << 10),
                List.of());
    }

    private static NamespacePath path(int i) {
        return NamespacePath.of("/m/obj-" + i);
    }

    private static byte[] body(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static void write(Worker w, int i, byte[] body) {
        WorkerCacheService cache = w.cacheService();
        WriteSession s = WorkerCacheService.await(cache.create(path(i), WriteOptions.defaults()));
        WorkerCacheService.await(s.append(ByteBuffer.wrap(body)));
        WorkerCacheService.await(s.commit());
    }

    private static byte[] read(WorkerCacheService cache, int i) {
        try (ObjectReader r = WorkerCacheService.await(cache.open(path(i)))) {
            ByteBuffer b = WorkerCacheService.await(r.read(0, (int) r.info().size()));
            byte[] out = new byte[b.remaining()];
            b.get(out);
            return out;
        }
    }

    /**
     * Runs the worker's persister ({@link Worker#newPersister}) until each due task was attempted
     * once (a damaged version's keeps failing; its retry is an hour away).
     */
    private static void drain(Worker w) throws InterruptedException {
        try (AsyncPersister p = w.newPersister(PersisterConfig.of(w.options().workerId(), 2,
                new Backoff(Duration.ofHours(1), Duration.ofHours(1))).withPollInterval(Duration.ofMillis(20)))) {
            p.persister().start();
            if (!p.persister().awaitAttempted(Duration.ofSeconds(60))) {
                throw new AssertionError("persist tasks not attempted within 60 s");
            }
        }
    }
}
