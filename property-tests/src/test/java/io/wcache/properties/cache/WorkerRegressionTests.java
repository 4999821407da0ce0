package io.wcache.properties.cache;

import io.wcache.persister.testing.EmbeddedS3Server;
import io.wcache.properties.cache.WorkerActions.DeleteEverything;
import io.wcache.properties.cache.WorkerActions.Drain;
import io.wcache.properties.cache.WorkerActions.ExhaustPinned;
import io.wcache.properties.cache.WorkerActions.Get;
import io.wcache.properties.cache.WorkerActions.Head;
import io.wcache.properties.cache.WorkerActions.ListKeys;
import io.wcache.properties.cache.WorkerActions.Put;
import io.wcache.properties.cache.WorkerActions.UfsOutage;
import io.wcache.persister.testing.TempDirs;
import net.jqwik.api.Example;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import net.jqwik.api.stateful.Action;

/**
 * Shrunk failing sequences found by {@link WorkerConsistencyProperties}, replayed as fixed
 * examples (with the same invariant after every step) so that each stays fixed.
 */
class WorkerRegressionTests {

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

    @SafeVarargs
    private static void replay(Action<WorkerSystem>... steps) {
        try (WorkerSystem system = new WorkerSystem(s3)) {
            for (Action<WorkerSystem> step : steps) {
                if (step.precondition(system)) {
                    step.run(system);
                    WorkerConsistencyProperties.spaceInvariant(system);
                }
            }
        }
    }

    /**
     * A delimiter listing paged one entry at a time, where the first page ends with a common
     * prefix from the UFS listing and the next one comes from metadata, showed {@code wb//}
     * instead of {@code wb/}.
     */
    @Example
    void commonPrefixFromMetadataOnALaterPageIsNotDoubled() {
        replay(new Put("wb/a", 0, 1, false), new ListKeys("", "/", 1, false));
    }

    /**
     * HEAD of a key the cache has never seen, during a UFS outage, is answered 503 with no body
     * (HEAD carries none): the S3 route must read that as unavailable, not as an unknown error.
     */
    @Example
    void headOfAnUnknownKeyDuringAnOutageIsUnavailable() {
        replay(new UfsOutage(true), new Head("wb/c/d", true), new UfsOutage(false));
    }

    /**
     * A put refused for space after its first 1 MiB record was published answered before its
     * abort released that record, so the space stats right after the refusal still counted it.
     */
    @Example
    void aRefusedPutHasReleasedItsSpaceWhenTheRefusalArrives() {
        for (int i = 0; i < 5; i++) {
            replay(new Put("tr/a", 1_000_000, 1, false), new ExhaustPinned(1));
        }
    }

    /**
     * Acknowledged parts of a multipart upload, the worker SIGKILLed and restarted, then the
     * upload completed: restart recovery reclaimed the parts' records as unreferenced, and the
     * completion failed ("extents cover 0"). Two 5 MiB+ parts on a WRITE_BACK key, then a read.
     */
    @Example
    void partsAcknowledgedBeforeASigkillCompleteAfterTheRestart() {
        replay(new WorkerActions.MultipartAcrossCrash("wb/a", Bodies.PART_SIZE + 1000, 7), new Head("wb/a", true),
                new WorkerActions.Get("wb/a", 0, 1, true));
    }

    /**
     * A 1-byte part of a WRITE_THROUGH upload acknowledged, the worker SIGKILLed and restarted,
     * then the upload completed (uploaded to the UFS, committed persisted): restart recovery had
     * restored the part's record as pinned whatever the upload's policy, so the worker went on
     * counting 1 pinned byte where a WRITE_THROUGH part is evictable, as it is without a restart.
     */
    @Example
    void writeThroughPartsAcknowledgedBeforeASigkillAreNotPinnedAfterTheRestart() {
        replay(new WorkerActions.MultipartAcrossCrash("wt/a", 1, 7), new Head("wt/a", false));
    }

    /** A flipped byte in an unpersisted WRITE_BACK version: damaged, the other objects intact, the UFS keeps v1. */
    @Example
    void corruptedUnpersistedVersionIsDamagedAndTheUfsKeepsThePersistedOne() {
        replay(new Put("wb/a", 3000, 1, false), new Put("wb/b", 2000, 2, false), new Drain(),
                new Put("wb/a", 2500, 3, false), new WorkerActions.Corrupt(0, 0, 0.5, (byte) 1),
                new Get("wb/a", 0, 1, true), new Head("wb/a", false), new Drain(),
                new Put("wb/a", 100, 4, false), new Get("wb/a", 0, 1, false), new DeleteEverything());
    }

    /** A flipped byte in a persisted version: it reads back from the UFS. */
    @Example
    void corruptedPersistedVersionReadsFromTheUfs() {
        replay(new Put("wt/a", 3000, 1, false), new Put("tr/a", 2000, 2, false),
                new WorkerActions.Corrupt(0.9, 0, 0.1, (byte) 0x40), new Drain(), new DeleteEverything());
    }

    /** Eviction and compaction run while the model's objects exist, pinned writes meet the cap. */
    @Example
    void cachePressureEvictsAndCompactsAndLosesNothing() {
        replay(new Put("wb/a", 3000, 1, false), new Put("wt/b", 2_000_000, 2, false), new Put("tr/c/d", 1_500_000, 3, false),
                new Put("wb/c/e", 3_000_000, 4, false), new Drain(), new Put("wb/b", 2_500_000, 5, false),
                new WorkerActions.CachePressure(10), new ListKeys("", "", 1000, false), new Drain(), new DeleteEverything());
    }
}
