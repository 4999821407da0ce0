package io.wcache.worker.cache;

import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * A value read from metadata on every request (the mount table, the path rules) but changed
 * rarely: it is loaded at most once per {@code ttl}, and at once after {@link #invalidate()} (this
 * worker's own change). A load that raced an invalidation is returned to its caller but not kept,
 * so a change is never hidden behind a table read just before it.
 */
public final class TtlCache<T> {

    private record Loaded<T>(T value, long at, long generation) {
    }

    private final Supplier<T> source;
    private final long ttlNanos;
    private final AtomicLong generation = new AtomicLong();
    private volatile Loaded<T> loaded;

    public TtlCache(Supplier<T> source, long ttlNanos) {
        this.source = source;
        this.ttlNanos = ttlNanos;
    }

    /** The value, loaded again if it is older than the ttl or was invalidated. */
    public T get() {
        T v = fresh();
        if (v != null) {
            return v;
        }
        long gen = generation.get();
        long now = System.nanoTime();
        T t = source.get();
        if (generation.get() == gen) {
            loaded = new Loaded<>(t, now, gen);
        }
        return t;
    }

    /** The kept value if it is still fresh, else null; never loads. */
    public T fresh() {
        Loaded<T> l = loaded;
        return l != null && System.nanoTime() - l.at() <= ttlNanos && l.generation() == generation.get() ? l.value() : null;
    }

    /** Forgets the kept value: the next {@link #get()} loads. */
    public void invalidate() {
        generation.incrementAndGet();
    }
}
