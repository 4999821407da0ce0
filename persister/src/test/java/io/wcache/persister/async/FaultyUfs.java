package io.wcache.persister.async;

import io.wcache.persister.ufs.PutOptions;
import io.wcache.persister.ufs.UfsObject;
import io.wcache.persister.testing.ForwardingUfs;
import io.wcache.persister.ufs.UnderFileSystem;
import io.wcache.persister.ufs.UploadSource;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * A delegating wrapper around a real UFS that runs a hook before each put and delete (to delay,
 * block or fail it) and records what ran: the order of operations and the most operations that
 * ever ran at once on one key.
 */
final class FaultyUfs extends ForwardingUfs {

    /** One finished operation: "put" or "delete", the key, and the first user-metadata value "v" if any. */
    record Op(String kind, String key, String version) {
    }

    private volatile Consumer<String> beforePut = k -> { };
    private volatile Consumer<String> beforeDelete = k -> { };
    private final List<Op> ops = new CopyOnWriteArrayList<>();
    private final Map<String, AtomicInteger> running = new ConcurrentHashMap<>();
    private final AtomicInteger maxPerKey = new AtomicInteger();
    private final AtomicInteger puts = new AtomicInteger();

    FaultyUfs(UnderFileSystem real) {
        super(real);
    }

    void beforePut(Consumer<String> hook) {
        beforePut = hook;
    }

    void beforeDelete(Consumer<String> hook) {
        beforeDelete = hook;
    }

    List<Op> ops() {
        return List.copyOf(ops);
    }

    List<Op> ops(String key) {
        return ops.stream().filter(o -> o.key().equals(key)).toList();
    }

    int maxConcurrentPerKey() {
        return maxPerKey.get();
    }

    int putsStarted() {
        return puts.get();
    }

    UnderFileSystem real() {
        return real;
    }

    private void enter(String key) {
        int n = running.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
        maxPerKey.accumulateAndGet(n, Math::max);
    }

    private void exit(String key) {
        running.get(key).decrementAndGet();
    }

    @Override
    public UfsObject put(String key, UploadSource source, PutOptions options) {
        enter(key);
        try {
            puts.incrementAndGet();
            beforePut.accept(key);
            UfsObject o = real.put(key, source, options);
            ops.add(new Op("put", key, options.userMetadata().getOrDefault("v", "")));
            return o;
        } finally {
            exit(key);
        }
    }

    @Override
    public void delete(String key) {
        enter(key);
        try {
            beforeDelete.accept(key);
            real.delete(key);
            ops.add(new Op("delete", key, ""));
        } finally {
            exit(key);
        }
    }

}
