package io.wcache.worker.cache;

import io.wcache.logstore.LogStore;
import io.wcache.schema.catalog.ExtentCodec;
import io.wcache.schema.catalog.Extent;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * Reference counts of open readers (and uploads) per file id, so that the extents of a version
 * that was superseded or deleted are released to the log store only when nobody reads them any
 * more. Invariant: a retired extent is released exactly once, by whoever drops the last pin (or at
 * once when there is none).
 */
public final class ReaderPins {

    private static final class Pin {
        int count;
        final List<Extent> retired = new ArrayList<>();
    }

    private final LogStore store;
    private final String workerId;
    private final ConcurrentHashMap<Long, Pin> pins = new ConcurrentHashMap<>();
    private volatile Consumer<List<Extent>> foreign = extents -> { };

    /** Pins over a log store shared by no other worker: every extent handed to it is its own. */
    public ReaderPins(LogStore store) {
        this(store, null);
    }

    /**
     * Pins over {@code workerId}'s log store. Extents of other workers (a version held by another
     * worker of the cluster, superseded or deleted through this one) are never released here: their
     * locations name another worker's segments. They go to {@link #onForeignRetired} instead.
     */
    public ReaderPins(LogStore store, String workerId) {
        this.store = store;
        this.workerId = workerId;
    }

    /** Where retired extents of other workers go (the cluster tells their holder); dropped by default. */
    public void onForeignRetired(Consumer<List<Extent>> sink) {
        this.foreign = sink;
    }

    public void pin(long fileId) {
        pins.compute(fileId, (k, p) -> {
            Pin q = p == null ? new Pin() : p;
            q.count++;
            return q;
        });
    }

    public void unpin(long fileId) {
        List<Extent> release = new ArrayList<>();
        pins.computeIfPresent(fileId, (k, p) -> {
            if (--p.count > 0) {
                return p;
            }
            release.addAll(p.retired);
            return null;
        });
        releaseAll(release);
    }

    /** The extents of a superseded, deleted or aborted version: released now, or by the last reader. */
    public void retire(long fileId, List<Extent> extents) {
        if (extents.isEmpty()) {
            return;
        }
        boolean[] deferred = new boolean[1];
        pins.computeIfPresent(fileId, (k, p) -> {
            p.retired.addAll(extents);
            deferred[0] = true;
            return p;
        });
        if (!deferred[0]) {
            releaseAll(extents);
        }
    }

    /** Files with at least one open reader or upload (diagnostics, tests). */
    public int pinnedFiles() {
        return pins.size();
    }

    public int pinned(long fileId) {
        Pin p = pins.get(fileId);
        return p == null ? 0 : p.count;
    }

    private void releaseAll(List<Extent> extents) {
        List<Extent> others = null;
        for (Extent e : extents) {
            if (workerId == null || workerId.equals(e.worker())) {
                store.release(ExtentCodec.toLocation(e));
            } else {
                if (others == null) {
                    others = new ArrayList<>();
                }
                others.add(e);
            }
        }
        if (others != null) {
            foreign.accept(others);
        }
    }
}
