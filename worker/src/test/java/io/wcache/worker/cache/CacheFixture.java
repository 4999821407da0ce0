package io.wcache.worker.cache;

import io.wcache.core.cache.ObjectInfo;
import io.wcache.core.cache.ObjectReader;
import io.wcache.core.cache.WriteOptions;
import io.wcache.core.cache.WriteSession;
import io.wcache.core.path.NamespacePath;
import io.wcache.worker.TestWorkers;
import io.wcache.worker.Worker;
import java.nio.ByteBuffer;
import java.util.Random;

/** Small helpers over a worker's CacheService for tests. */
final class CacheFixture {

    final Worker worker;
    final WorkerCacheService cache;

    CacheFixture(Worker worker) {
        this.worker = worker;
        this.cache = worker.cacheService();
    }

    static NamespacePath p(String s) {
        return NamespacePath.of(s);
    }

    static byte[] bytes(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    WriteSession open(String path) {
        return WorkerCacheService.await(cache.create(p(path), WriteOptions.defaults()));
    }

    ObjectInfo write(String path, byte[] body) {
        return write(path, body, 64 * 1024);
    }

    ObjectInfo write(String path, byte[] body, int chunk) {
        WriteSession s = open(path);
        for (int off = 0; off < body.length; off += chunk) {
            WorkerCacheService.await(s.append(ByteBuffer.wrap(body, off, Math.min(chunk, body.length - off))));
        }
        return WorkerCacheService.await(s.commit());
    }

    byte[] read(String path) {
        try (ObjectReader r = WorkerCacheService.await(cache.open(p(path)))) {
            return readAll(r);
        }
    }

    static byte[] readAll(ObjectReader r) {
        ByteBuffer b = WorkerCacheService.await(r.read(0, (int) r.info().size()));
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }

    int drain() {
        return TestWorkers.drain(worker);
    }
}
