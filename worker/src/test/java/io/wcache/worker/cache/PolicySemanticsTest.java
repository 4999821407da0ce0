package io.wcache.worker.cache;

import static io.wcache.worker.cache.CacheFixture.bytes;
import static io.wcache.worker.cache.CacheFixture.p;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wcache.core.cache.ObjectInfo;
import io.wcache.core.cache.PersistStatus;
import io.wcache.core.cache.WriteOptions;
import io.wcache.core.cache.WriteSession;
import io.wcache.core.error.WcacheException;
import io.wcache.core.policy.PathRule;
import io.wcache.core.policy.WritePolicy;
import io.wcache.worker.TestWorkers;
import io.wcache.worker.Worker;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every write policy through the CacheService, with the real engine, log store and local UFS. */
class PolicySemanticsTest {

    @TempDir
    Path root;

    Worker worker;
    CacheFixture f;

    private void start(String... sets) {
        worker = TestWorkers.start(root, sets);
        f = new CacheFixture(worker);
        for (WritePolicy policy : WritePolicy.values()) {
            worker.catalog().cluster().putPathRule(new PathRule(p("/m/" + policy.name().toLowerCase()), policy, 1));
        }
        f.cache.refreshPathConfig();
    }

    @AfterEach
    void stop() {
        if (worker != null) {
            worker.close();
        }
    }

    private Path ufs(String key) {
        return TestWorkers.ufsDir(root).resolve(key);
    }

    @Test
    void writeBackIsAcknowledgedFromTheCacheAndReachesTheUfsOnlyWhenPersisted() throws Exception {
        start();
        byte[] body = bytes(300_000, 1);
        ObjectInfo info = f.write("/m/write_back/a", body);

        assertThat(info.policy()).isEqualTo(WritePolicy.WRITE_BACK);
        assertThat(info.persistStatus()).isEqualTo(PersistStatus.NOT_PERSISTED);
        assertThat(Files.exists(ufs("write_back/a"))).isFalse();
        assertThat(worker.logStore().stats().pinnedBytes()).isEqualTo(body.length);
        assertThat(f.read("/m/write_back/a")).isEqualTo(body);

        assertThat(f.drain()).isEqualTo(1);
        assertThat(Files.readAllBytes(ufs("write_back/a"))).isEqualTo(body);
        assertThat(f.cache.stat(p("/m/write_back/a")).join().orElseThrow().persistStatus()).isEqualTo(PersistStatus.PERSISTED);
        assertThat(worker.logStore().stats().pinnedBytes()).isZero();
        assertThat(worker.logStore().stats().evictableBytes()).isEqualTo(body.length);
    }

    @Test
    void writeThroughIsInTheUfsWhenAcknowledged() throws Exception {
        start();
        byte[] body = bytes(2_500_000, 2);
        ObjectInfo info = f.write("/m/write_through/b", body);

        assertThat(info.persistStatus()).isEqualTo(PersistStatus.PERSISTED);
        assertThat(Files.readAllBytes(ufs("write_through/b"))).isEqualTo(body);
        assertThat(worker.logStore().stats().pinnedBytes()).isZero();
        assertThat(f.read("/m/write_through/b")).isEqualTo(body);
        assertThat(worker.catalog().persistQueue().pendingTasks(10)).isEmpty();
    }

    @Test
    void transientIsKeptInTheCacheAndNeverUploaded() throws Exception {
        start();
        byte[] body = bytes(5000, 3);
        ObjectInfo info = f.write("/m/transient/c", body);

        assertThat(info.persistStatus()).isEqualTo(PersistStatus.TRANSIENT);
        assertThat(f.drain()).isZero();
        assertThat(Files.exists(ufs("transient/c"))).isFalse();
        assertThat(f.read("/m/transient/c")).isEqualTo(body);
        assertThat(worker.logStore().stats().pinnedBytes()).isEqualTo(body.length);
    }

    @Test
    void transientPathsAreReadFromTheCacheOnlyNeverFromTheUfs() throws Exception {
        start();
        Files.createDirectories(ufs("transient"));
        Files.write(ufs("transient/in-ufs-only"), bytes(100, 5));

        assertThat(f.cache.stat(p("/m/transient/in-ufs-only")).join()).isEmpty();
        assertThatThrownBy(() -> f.read("/m/transient/in-ufs-only")).isInstanceOf(WcacheException.NotFound.class);
    }

    @Test
    void readOnlyRefusesWritesAndDeletesButServesReads() throws Exception {
        start();
        Files.createDirectories(ufs("read_only"));
        Files.write(ufs("read_only/existing"), bytes(100, 4));

        assertThatThrownBy(() -> f.open("/m/read_only/new")).isInstanceOf(WcacheException.ReadOnly.class);
        assertThatThrownBy(() -> WorkerCacheService.await(f.cache.delete(p("/m/read_only/existing"))))
                .isInstanceOf(WcacheException.ReadOnly.class);
        assertThat(f.read("/m/read_only/existing")).isEqualTo(bytes(100, 4));
        assertThat(Files.exists(ufs("read_only/existing"))).isTrue();
    }

    @Test
    void noCacheWritesStraightToTheUfsWithNoLocalCopyOrMetadata() throws Exception {
        start();
        long appendsBefore = worker.logStore().stats().appends();
        byte[] body = bytes(1_500_000, 5);
        ObjectInfo info = f.write("/m/no_cache/d", body);

        assertThat(info.policy()).isEqualTo(WritePolicy.NO_CACHE);
        assertThat(Files.readAllBytes(ufs("no_cache/d"))).isEqualTo(body);
        assertThat(worker.catalog().files().lookup(p("/m/no_cache/d"))).isEmpty();
        assertThat(worker.logStore().stats().appends()).isEqualTo(appendsBefore);
        try (var spool = Files.list(root.resolve("cache").resolve("spool"))) {
            assertThat(spool.toList()).isEmpty();
        }
        // Reads of NO_CACHE paths go to the UFS and are not loaded into the cache either.
        assertThat(f.read("/m/no_cache/d")).isEqualTo(body);
        assertThat(worker.catalog().files().lookup(p("/m/no_cache/d"))).isEmpty();
    }

    @Test
    void writeCacheDisabledTurnsWriteBackIntoWriteThrough() throws Exception {
        start("write.cache.enabled=false");
        WriteSession s = f.open("/m/write_back/e");
        assertThat(s.policy()).isEqualTo(WritePolicy.WRITE_THROUGH);
        WorkerCacheService.await(s.append(ByteBuffer.wrap(bytes(1000, 6))));
        ObjectInfo info = WorkerCacheService.await(s.commit());
        assertThat(info.persistStatus()).isEqualTo(PersistStatus.PERSISTED);
        assertThat(Files.readAllBytes(ufs("write_back/e"))).isEqualTo(bytes(1000, 6));
    }

    @Test
    void declaredMd5MismatchIsRefusedAndNothingBecomesVisible() {
        start();
        WriteSession s = WorkerCacheService.await(f.cache.create(p("/m/write_back/md5"),
                new WriteOptions(null, java.util.Map.of(), Optional.of(new byte[16]), false)));
        WorkerCacheService.await(s.append(ByteBuffer.wrap(bytes(10, 7))));
        assertThatThrownBy(() -> WorkerCacheService.await(s.commit())).isInstanceOf(WcacheException.InvalidArgument.class)
                .hasMessageContaining("MD5");
        assertThat(f.cache.stat(p("/m/write_back/md5")).join()).isEmpty();
    }

    @Test
    void ifNoneMatchRefusesAnExistingPathAndUnknownMountIsNotFound() {
        start();
        f.write("/m/write_back/once", bytes(10, 8));
        assertThatThrownBy(() -> WorkerCacheService.await(f.cache.create(p("/m/write_back/once"),
                new WriteOptions(null, java.util.Map.of(), Optional.empty(), true))))
                .isInstanceOf(WcacheException.AlreadyExists.class);
        assertThatThrownBy(() -> f.open("/nosuchbucket/x")).isInstanceOf(WcacheException.NotFound.class);
    }
}
