package io.wcache.worker.cache;

import io.wcache.core.cache.CacheService;
import io.wcache.core.cache.Etags;
import io.wcache.core.cache.ObjectInfo;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The ETags being computed after their writes' commits ({@code WriteOptions.etagLater}): one
 * computation per version (path and generation) at a time, shared by whoever asks while it runs.
 */
final class PendingEtags {

    private static final AtomicInteger THREADS = new AtomicInteger();

    /**
     * Hashes the bytes: one daemon thread at the lowest Java priority (nice 10 when the launcher
     * maps priorities, as root), so computing ETags gives way to the writes being acknowledged.
     */
    static final ExecutorService HASHING = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "wcache-etag-" + THREADS.incrementAndGet());
        t.setDaemon(true);
        t.setPriority(Thread.MIN_PRIORITY);
        return t;
    });
    private final ConcurrentHashMap<String, CompletableFuture<ObjectInfo>> running = new ConcurrentHashMap<>();

    /** {@code info} with its ETag, computed through {@code cache} (or joined, if already running). */
    CompletableFuture<ObjectInfo> resolve(CacheService cache, ObjectInfo info) {
        if (!info.etagPending()) {
            return CompletableFuture.completedFuture(info);
        }
        String key = info.path() + "\u0000" + info.generation();
        CompletableFuture<ObjectInfo> mine = new CompletableFuture<>();
        CompletableFuture<ObjectInfo> other = running.putIfAbsent(key, mine);
        if (other != null) {
            return other;
        }
        Etags.resolve(cache, info, HASHING).whenComplete((r, e) -> {
            running.remove(key, mine);
            if (e != null) {
                mine.completeExceptionally(e);
            } else {
                mine.complete(r);
            }
        });
        return mine;
    }
}
