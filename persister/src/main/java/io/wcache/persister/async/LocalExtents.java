package io.wcache.persister.async;

import io.wcache.core.error.WcacheException;
import io.wcache.logstore.Location;
import io.wcache.logstore.LogStore;
import io.wcache.schema.catalog.Extent;
import io.wcache.schema.catalog.ExtentCodec;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;

/**
 * This worker's copy of committed bytes, as the persister sees it: verified reads of an extent and
 * the move of a persisted extent from pinned to evictable. {@link #of} adapts a {@link LogStore},
 * finding each {@link Extent}'s {@link Location} by {@link ExtentCodec}.
 */
public interface LocalExtents {

    /** Reads {@code length} bytes of {@code extent} starting {@code offset} bytes into it. */
    ByteBuffer read(Extent extent, long offset, int length);

    /** The extent's bytes are in the UFS: they may now be evicted. */
    void markPersisted(Extent extent);

    /**
     * Keeps a file's extents from being released while an upload reads them (a superseding commit
     * or a delete defers the release until {@link #unpin}). Nothing by default.
     */
    default void pin(long fileId) {
    }

    /**
     * The worker whose log these extents are in, if they are one worker's: its persister claims
     * only uploads whose bytes that worker holds (another worker's would fail and back off).
     */
    default java.util.Optional<String> worker() {
        return java.util.Optional.empty();
    }

    default void unpin(long fileId) {
    }

    /**
     * A view of {@code extents} that stays readable until closed, even if eviction or compaction
     * moves them meanwhile (an upload must not lose its bytes half-way). Throws
     * {@link WcacheException.NotFound} when one of them is already gone: the caller reads the
     * layout again from the Catalog. By default the view is this object, with nothing held.
     */
    default Leased lease(List<Extent> extents) {
        LocalExtents self = this;
        return new Leased() {
            @Override
            public ByteBuffer read(Extent extent, long offset, int length) {
                return self.read(extent, offset, length);
            }

            @Override
            public void markPersisted(Extent extent) {
                self.markPersisted(extent);
            }

            @Override
            public void close() {
            }
        };
    }

    /**
     * These extents, with {@code pin} and {@code unpin} run for each upload's file: everything
     * else, {@link #worker()} included, is answered by this object. A decorator written elsewhere
     * that forgot a method would get its default instead (a worker that answered "no worker"
     * claimed every upload in a cluster).
     */
    default LocalExtents withPins(java.util.function.LongConsumer pin, java.util.function.LongConsumer unpin) {
        LocalExtents self = this;
        return new LocalExtents() {
            @Override
            public ByteBuffer read(Extent extent, long offset, int length) {
                return self.read(extent, offset, length);
            }

            @Override
            public void markPersisted(Extent extent) {
                self.markPersisted(extent);
            }

            @Override
            public Leased lease(List<Extent> extents) {
                return self.lease(extents);
            }

            @Override
            public java.util.Optional<String> worker() {
                return self.worker();
            }

            @Override
            public void pin(long fileId) {
                pin.accept(fileId);
            }

            @Override
            public void unpin(long fileId) {
                unpin.accept(fileId);
            }
        };
    }

    /** Extents held readable for one upload (see {@link #lease}). */
    interface Leased extends LocalExtents, AutoCloseable {
        @Override
        void close();
    }

    /**
     * Extents of {@code worker} in {@code store}; an extent held by another worker is
     * {@link WcacheException.Unavailable} (its owner persists it).
     */
    static LocalExtents of(LogStore store, String worker) {
        Objects.requireNonNull(store, "store");
        Objects.requireNonNull(worker, "worker");
        Function<Extent, Location> locator = ExtentCodec::toLocation;
        return new LocalExtents() {
            @Override
            public java.util.Optional<String> worker() {
                return java.util.Optional.of(worker);
            }

            @Override
            public ByteBuffer read(Extent extent, long offset, int length) {
                if (!worker.equals(extent.worker())) {
                    throw new WcacheException.Unavailable("file " + extent.fileId(),
                            "extent at offset " + extent.offset() + " is held by worker " + extent.worker() + ", not " + worker, null);
                }
                return store.read(locator.apply(extent), offset, length);
            }

            @Override
            public void markPersisted(Extent extent) {
                if (worker.equals(extent.worker())) {
                    store.markPersisted(locator.apply(extent));
                }
            }

            @Override
            public Leased lease(List<Extent> extents) {
                List<Location> mine = extents.stream().filter(e -> worker.equals(e.worker())).map(locator).toList();
                LogStore.Lease lease = store.lease(mine);
                LocalExtents outer = this;
                return new Leased() {
                    @Override
                    public ByteBuffer read(Extent extent, long offset, int length) {
                        if (!worker.equals(extent.worker())) {
                            return outer.read(extent, offset, length);
                        }
                        return lease.read(locator.apply(extent), offset, length);
                    }

                    @Override
                    public void markPersisted(Extent extent) {
                        outer.markPersisted(extent);
                    }

                    @Override
                    public void close() {
                        lease.close();
                    }
                };
            }
        };
    }
}
