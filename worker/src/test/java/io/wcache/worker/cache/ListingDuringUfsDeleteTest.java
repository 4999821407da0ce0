package io.wcache.worker.cache;

import static org.assertj.core.api.Assertions.assertThat;

import io.wcache.core.cache.ListQuery;
import io.wcache.core.cache.ListResult;
import io.wcache.core.cache.ObjectInfo;
import io.wcache.core.path.NamespacePath;
import io.wcache.persister.testing.ForwardingUfs;
import io.wcache.persister.ufs.UfsListing;
import io.wcache.persister.ufs.UnderFileSystem;
import io.wcache.worker.TestWorkers;
import io.wcache.worker.Worker;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A delete is acknowledged with its tombstone in the Catalog; the persister deletes the object
 * store's object later, then drops the tombstone. A listing reads the object store and the
 * tombstones at two moments: when the persister finishes a delete between them, the deleted
 * object must not come back in the listing (read-after-delete), nor its emptied directory.
 * Each test finishes the pending deletes right after the listing's object-store read.
 */
class ListingDuringUfsDeleteTest {

    @TempDir
    Path root;

    @Test
    void anObjectWhoseUfsDeleteEndsDuringTheListingIsNotListed() throws Exception {
        try (Worker w = TestWorkers.start(root)) {
            CacheFixture f = new CacheFixture(w);
            f.write("/m/r/a", CacheFixture.bytes(10, 1));
            f.write("/m/r/b", CacheFixture.bytes(10, 2));
            f.drain();
            assertThat(Files.exists(TestWorkers.ufsDir(root).resolve("r/a"))).isTrue();
            assertThat(WorkerCacheService.await(f.cache.delete(CacheFixture.p("/m/r/a")))).isTrue();
            AfterListing hook = AfterListing.install(w, () -> f.drain());

            assertThat(keys(list(f, "r/", "", 1000))).containsExactly("/m/r/b");
            assertThat(hook.ran()).as("the deletes finished inside the listing").isTrue();
            assertThat(w.catalog().files().tombstone(CacheFixture.p("/m/r/a"))).isEmpty();
            assertThat(Files.exists(TestWorkers.ufsDir(root).resolve("r/a"))).isFalse();
        }
    }

    @Test
    void aDirectoryEmptiedDuringTheListingIsNotListed() throws Exception {
        try (Worker w = TestWorkers.start(root)) {
            CacheFixture f = new CacheFixture(w);
            f.write("/m/gone/x", CacheFixture.bytes(10, 1));
            f.write("/m/kept", CacheFixture.bytes(10, 2));
            f.drain();
            assertThat(WorkerCacheService.await(f.cache.delete(CacheFixture.p("/m/gone/x")))).isTrue();
            AfterListing hook = AfterListing.install(w, () -> f.drain());

            ListResult r = list(f, "", "/", 1000);
            assertThat(hook.ran()).isTrue();
            assertThat(r.commonPrefixes()).as("gone/ holds nothing once its delete ended").isEmpty();
            assertThat(keys(r)).containsExactly("/m/kept");
        }
    }

    @Test
    void anObjectPastTheTombstonesReadAtOnceIsNotListedEither() throws Exception {
        try (Worker w = TestWorkers.start(root)) {
            CacheFixture f = new CacheFixture(w);
            f.write("/m/r/a", CacheFixture.bytes(10, 1));
            f.write("/m/r/c", CacheFixture.bytes(10, 3));
            f.write("/m/r/z", CacheFixture.bytes(10, 4));
            f.drain();
            // Deleted before any upload: tombstones of keys the object store never held, between
            // a and c, so that a short page's read of tombstones ends before c.
            for (int i = 1; i <= 5; i++) {
                f.write("/m/r/b" + i, CacheFixture.bytes(10, 10 + i));
            }
            for (String k : List.of("a", "b1", "b2", "b3", "b4", "b5", "c")) {
                assertThat(WorkerCacheService.await(f.cache.delete(CacheFixture.p("/m/r/" + k)))).isTrue();
                assertThat(w.catalog().files().tombstone(CacheFixture.p("/m/r/" + k))).as(k).isPresent();
            }
            AfterListing hook = AfterListing.install(w, () -> f.drain());

            ListResult r = list(f, "r/", "", 1);
            assertThat(hook.ran()).isTrue();
            assertThat(keys(r)).containsExactly("/m/r/z");
            assertThat(r.continuation()).isEmpty();
        }
    }

    private static ListResult list(CacheFixture f, String prefix, String delimiter, int max) {
        return WorkerCacheService.await(f.cache.list(new ListQuery(CacheFixture.p("/m"), prefix, delimiter, "", max,
                Optional.empty())));
    }

    private static List<String> keys(ListResult r) {
        return r.objects().stream().map(ObjectInfo::path).map(NamespacePath::toString).toList();
    }

    /**
     * Wraps the worker's real UFS client: the first listing of the object store, once it has its
     * answer, runs {@code action} before returning it.
     */
    static final class AfterListing extends ForwardingUfs {
        private final AtomicReference<Runnable> once;
        private volatile boolean ran;

        private AfterListing(UnderFileSystem real, AtomicReference<Runnable> once) {
            super(real);
            this.once = once;
        }

        static AfterListing install(Worker w, Runnable action) {
            AtomicReference<Runnable> once = new AtomicReference<>(action);
            AtomicReference<AfterListing> made = new AtomicReference<>();
            w.ufs().wrapClients(u -> {
                AfterListing a = new AfterListing(u, once);
                made.set(a);
                return a;
            });
            // Opens the mount's client (wrapped) if nothing has yet.
            w.ufs().ufsFor(CacheFixture.p("/m/x"));
            return made.get();
        }

        boolean ran() {
            return ran;
        }

        @Override
        public UfsListing list(String prefix, String delimiter, String startAfter, String continuation, int maxKeys) {
            UfsListing l = real.list(prefix, delimiter, startAfter, continuation, maxKeys);
            Runnable action = once.getAndSet(null);
            if (action != null) {
                action.run();
                ran = true;
            }
            return l;
        }
    }
}
