package io.wcache.properties.cache;

import static org.assertj.core.api.Assertions.assertThat;

import io.wcache.core.policy.WritePolicy;
import io.wcache.persister.testing.EmbeddedS3Server;
import io.wcache.properties.cache.WorkerActions.ConcurrentPuts;
import io.wcache.properties.cache.WorkerActions.Crash;
import io.wcache.properties.cache.WorkerActions.CrashDuringPut;
import io.wcache.properties.cache.WorkerActions.Delete;
import io.wcache.properties.cache.WorkerActions.DeleteEverything;
import io.wcache.properties.cache.WorkerActions.Drain;
import io.wcache.properties.cache.WorkerActions.Get;
import io.wcache.properties.cache.WorkerActions.Head;
import io.wcache.properties.cache.WorkerActions.ListKeys;
import io.wcache.properties.cache.WorkerActions.Put;
import io.wcache.properties.cache.WorkerActions.SetFlipPolicy;
import io.wcache.properties.cache.WorkerActions.UfsOutage;
import io.wcache.properties.support.SoakTries;
import io.wcache.persister.testing.TempDirs;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import net.jqwik.api.stateful.Action;
import net.jqwik.api.stateful.ActionSequence;

/**
 * The whole worker against a model: a real worker (embedded engine, log store, pipeline,
 * persister, CacheService) in a child JVM with s3proxy as its UFS, driven by random action
 * sequences (puts small and large, concurrent puts to one key, whole and ranged gets, heads,
 * deletes, listings by prefix/delimiter/page size, path-config changes, SIGKILL and restart,
 * SIGKILL in the middle of a put, multipart parts across a SIGKILL, pinned-space exhaustion, a
 * byte flipped in a record's payload while the worker is stopped, cache pressure that makes
 * eviction and compaction run, UFS outages, drains, deleting everything) and compared with
 * {@link Model} after every action. Shrinking removes actions and simplifies their arguments, so
 * a failure reads as a short script of steps.
 */
@SoakTries
class WorkerConsistencyProperties {

    private static EmbeddedS3Server s3;

    @BeforeContainer
    static void startS3() throws Exception {
        s3 = EmbeddedS3Server.start(TempDirs.create("s3proxy"));
    }

    @AfterContainer
    static void stopS3() throws Exception {
        if (s3 != null) {
            s3.close();
            TempDirs.delete(s3.baseDir());
        }
    }

    @Property(tries = 3)
    void theWorkerAgreesWithTheModelThroughCrashesOutagesAndDrains(@ForAll("actions") ActionSequence<WorkerSystem> actions) {
        try (WorkerSystem system = new WorkerSystem(s3)) {
            actions.withInvariant("space", WorkerConsistencyProperties::spaceInvariant).run(system);
        }
    }

    /** Pinned bytes never pass the cap, and equal the model's unpersisted bytes whenever the model is certain. */
    static void spaceInvariant(WorkerSystem s) {
        String[] st = WorkerSystem.expectOk(s.send("STATS")).split(" ");
        long pinned = Long.parseLong(st[1]);
        long cap = Long.parseLong(st[2]);
        assertThat(pinned).as("pinned bytes within the cap").isLessThanOrEqualTo(cap);
        if (!s.model.ambiguous()) {
            assertThat(pinned).as("pinned bytes = unpersisted WRITE_BACK + TRANSIENT bytes (model %s)", s.model)
                    .isEqualTo(s.model.pinnedBytes());
        }
    }

    @Provide
    Arbitrary<ActionSequence<WorkerSystem>> actions() {
        return Arbitraries.sequences(action()).ofSize(16);
    }

    static Arbitrary<String> keys() {
        return Combinators.combine(Arbitraries.of(Model.PREFIXES), Arbitraries.of("a", "b", "c/d", "c/e"))
                .as((p, n) -> p + "/" + n);
    }

    static Arbitrary<Integer> sizes() {
        return Arbitraries.frequencyOf(
                Tuple.of(6, Arbitraries.integers().between(0, 3000)),
                Tuple.of(1, Arbitraries.integers().between(1_000_000, 3_000_000)));
    }

    static Arbitrary<Long> seeds() {
        return Arbitraries.longs().between(1, 1_000_000);
    }

    @SuppressWarnings("unchecked")
    static Arbitrary<Action<WorkerSystem>> action() {
        Arbitrary<Double> fraction = Arbitraries.doubles().between(0, 1).ofScale(2);
        // Shrinking prefers false: the CacheService route, then S3 only where it matters.
        Arbitrary<Boolean> viaS3 = Arbitraries.of(false, true);
        Arbitrary<Action<WorkerSystem>> put = Combinators.combine(keys(), sizes(), seeds(), viaS3).as(Put::new);
        Arbitrary<Action<WorkerSystem>> get = Combinators.combine(keys(), fraction, fraction, viaS3).as((k, a, b, s3) ->
                new Get(k, Math.min(a, b), Math.max(a, b), s3));
        Arbitrary<Action<WorkerSystem>> getWhole = Combinators.combine(keys(), viaS3).as((k, s3) -> new Get(k, 0, 1, s3));
        Arbitrary<Action<WorkerSystem>> head = Combinators.combine(keys(), viaS3).as(Head::new);
        Arbitrary<Action<WorkerSystem>> delete = Combinators.combine(keys(), viaS3).as((k, s3) -> new Delete(List.of(k), s3));
        Arbitrary<Action<WorkerSystem>> deleteObjects = Combinators.combine(
                keys().list().ofMinSize(2).ofMaxSize(4).uniqueElements(), viaS3).as(Delete::new);
        Arbitrary<Action<WorkerSystem>> list = Combinators.combine(
                Arbitraries.of("", "wb/", "c", "tr/c/", "flip/", "ro/", "wt/c/d"),
                Arbitraries.of("", "/"), Arbitraries.of(1, 2, 3, 1000), viaS3).as(ListKeys::new);
        Arbitrary<Action<WorkerSystem>> multipart = Combinators.combine(keys(),
                Arbitraries.frequencyOf(Tuple.of(3, Arbitraries.integers().between(0, 3000)),
                        Tuple.of(1, Arbitraries.integers().between(Bodies.PART_SIZE, Bodies.PART_SIZE + 300_000))),
                seeds()).as(WorkerActions.MultipartPut::new);
        Arbitrary<Action<WorkerSystem>> multipartAcrossCrash = Combinators.combine(keys(),
                Arbitraries.frequencyOf(Tuple.of(3, Arbitraries.integers().between(0, 3000)),
                        Tuple.of(1, Arbitraries.integers().between(Bodies.PART_SIZE, Bodies.PART_SIZE + 300_000))),
                seeds()).as(WorkerActions.MultipartAcrossCrash::new);
        Arbitrary<Action<WorkerSystem>> concurrent = Combinators.combine(keys(), sizes(),
                seeds().list().ofMinSize(2).ofMaxSize(4).uniqueElements()).as(ConcurrentPuts::new);
        Arbitrary<Action<WorkerSystem>> flip = Arbitraries.of(WritePolicy.WRITE_BACK, WritePolicy.WRITE_THROUGH)
                .map(SetFlipPolicy::new);
        Arbitrary<Action<WorkerSystem>> crash = Arbitraries.just(new Crash());
        Arbitrary<Action<WorkerSystem>> crashDuringPut = Combinators.combine(keys(), sizes(), seeds(),
                Arbitraries.integers().between(0, 40)).as(CrashDuringPut::new);
        Arbitrary<Action<WorkerSystem>> outage = Arbitraries.of(true, false).map(UfsOutage::new);
        Arbitrary<Action<WorkerSystem>> drain = Arbitraries.just(new Drain());
        Arbitrary<Action<WorkerSystem>> deleteAll = Arbitraries.just(new DeleteEverything());
        Arbitrary<Action<WorkerSystem>> corrupt = Combinators.combine(fraction, fraction, fraction,
                Arbitraries.bytes().filter(b -> b != 0)).as(WorkerActions.Corrupt::new);
        return Arbitraries.frequencyOf(
                Tuple.of(8, put), Tuple.of(4, getWhole), Tuple.of(2, get), Tuple.of(2, head), Tuple.of(2, delete),
                Tuple.of(1, deleteObjects), Tuple.of(3, list), Tuple.of(2, concurrent), Tuple.of(1, flip),
                Tuple.of(1, crash), Tuple.of(1, crashDuringPut), Tuple.of(2, outage), Tuple.of(2, drain),
                Tuple.of(1, deleteAll), Tuple.of(1, multipart), Tuple.of(1, multipartAcrossCrash),
                Tuple.of(1, seeds().map(WorkerActions.ExhaustPinned::new)),
                // Weighted so that the CI tries (48 actions) run each about three times.
                Tuple.of(3, corrupt), Tuple.of(3, seeds().map(WorkerActions.CachePressure::new)));
    }
}
