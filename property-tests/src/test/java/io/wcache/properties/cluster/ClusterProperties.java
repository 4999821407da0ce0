package io.wcache.properties.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.wcache.properties.cache.Bodies;
import io.wcache.properties.cluster.ClusterActions.Delete;
import io.wcache.properties.cluster.ClusterActions.Get;
import io.wcache.properties.cluster.ClusterActions.Kill;
import io.wcache.properties.cluster.ClusterActions.Put;
import io.wcache.properties.cluster.ClusterActions.Restart;
import io.wcache.properties.support.SoakTries;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.stateful.Action;
import net.jqwik.api.stateful.ActionSequence;

/**
 * Three workers in one process against a model: writes, reads and deletes through random workers
 * interleaved with crash-stops and restarts of workers. Every acknowledged write reads back
 * through every worker, or answers 503 naming a holder of its bytes while that holder is down;
 * never 404 and never another version. After a restart everything acknowledged is served again,
 * and once every worker is back, the UFS ends equal to the model for what is persisted
 * (write-back and write-through keys, deleted ones absent).
 */
@SoakTries
class ClusterProperties {

    @Property(tries = 3)
    void acknowledgedWritesSurviveCrashStopsAndRestartsOfWorkers(@ForAll("actions") ActionSequence<ClusterSystem> actions)
            throws InterruptedException {
        // Each request is bounded by the SDK's call timeout (60 s); a try takes a few seconds.
        try (ClusterSystem system = new ClusterSystem()) {
            actions.run(system);
            settle(system);
        }
    }

    /** Every worker back: everything reads back exactly everywhere, and the UFS ends equal to the model. */
    static void settle(ClusterSystem s) throws InterruptedException {
        for (int i = 0; i < ClusterSystem.WORKERS; i++) {
            if (!s.running(i)) {
                s.start(i);
            }
        }
        for (String key : allKeys()) {
            for (int w = 0; w < ClusterSystem.WORKERS; w++) {
                ClusterActions.checkRead(s, w, key);
            }
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        List<String> differing = ufsDifferences(s);
        while (!differing.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(50);
            differing = ufsDifferences(s);
        }
        assertThat(differing).as("WRITE_BACK and WRITE_THROUGH keys whose UFS object differs from the model (%s)", s.model)
                .isEmpty();
        for (String key : allKeys()) {
            if (!persisted(key)) {
                assertThat(Files.exists(s.ufs.resolve(key))).as("%s is never persisted", key).isFalse();
            }
        }
    }

    private static List<String> ufsDifferences(ClusterSystem s) {
        List<String> out = new ArrayList<>();
        for (String key : allKeys()) {
            if (!persisted(key)) {
                continue;
            }
            Path f = s.ufs.resolve(key);
            ClusterActions.Version v = s.model.get(key);
            try {
                if (v == null ? Files.exists(f) : !Files.isRegularFile(f) || !Bodies.md5(Files.readAllBytes(f)).equals(v.md5())) {
                    out.add(key);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return out;
    }

    /** Keys whose acknowledged state the UFS ends with: WRITE_BACK (once uploaded) and WRITE_THROUGH ones. */
    static boolean persisted(String key) {
        return key.startsWith("wb/") || key.startsWith("wt/");
    }

    static List<String> allKeys() {
        List<String> out = new ArrayList<>();
        for (String p : ClusterSystem.PREFIXES) {
            for (String n : NAMES) {
                out.add(p + "/" + n);
            }
        }
        return out;
    }

    static final List<String> NAMES = List.of("a", "b", "c/d", "c/e");

    @Provide
    Arbitrary<ActionSequence<ClusterSystem>> actions() {
        return Arbitraries.sequences(action()).ofSize(24);
    }

    static Arbitrary<String> keys() {
        return Combinators.combine(Arbitraries.of(ClusterSystem.PREFIXES), Arbitraries.of(NAMES)).as((p, n) -> p + "/" + n);
    }

    static Arbitrary<Integer> workers() {
        return Arbitraries.integers().between(0, ClusterSystem.WORKERS - 1);
    }

    static Arbitrary<Action<ClusterSystem>> action() {
        Arbitrary<Integer> sizes = Arbitraries.frequencyOf(
                Tuple.of(8, Arbitraries.integers().between(0, 3000)),
                Tuple.of(1, Arbitraries.integers().between(1_000_000, 2_000_000)));
        Arbitrary<Long> seeds = Arbitraries.longs().between(1, 1_000_000);
        Arbitrary<Action<ClusterSystem>> put = Combinators.combine(keys(), sizes, seeds, workers()).as(Put::new);
        Arbitrary<Action<ClusterSystem>> get = Combinators.combine(keys(), workers()).as(Get::new);
        Arbitrary<Action<ClusterSystem>> delete = Combinators.combine(keys(), workers()).as(Delete::new);
        Arbitrary<Action<ClusterSystem>> kill = workers().map(Kill::new);
        Arbitrary<Action<ClusterSystem>> restart = workers().map(Restart::new);
        Arbitrary<Action<ClusterSystem>> readAll = workers().map(ClusterActions.ReadAll::new);
        // Kills outweigh restarts, so that many reads happen while a worker is down.
        return Arbitraries.frequencyOf(Tuple.of(8, put), Tuple.of(3, get), Tuple.of(3, readAll), Tuple.of(2, delete),
                Tuple.of(3, kill), Tuple.of(2, restart));
    }
}
