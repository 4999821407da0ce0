package io.wcache.fuse;

import io.wcache.core.cache.CacheService;
import io.wcache.core.cache.ListQuery;
import io.wcache.core.cache.ListResult;
import io.wcache.core.cache.MultipartUpload;
import io.wcache.core.cache.ObjectInfo;
import io.wcache.core.cache.ObjectReader;
import io.wcache.core.cache.PartInfo;
import io.wcache.core.cache.PartRef;
import io.wcache.core.cache.PersistStatus;
import io.wcache.core.cache.WriteOptions;
import io.wcache.core.cache.WriteSession;
import io.wcache.core.error.WcacheException;
import io.wcache.core.mount.Mount;
import io.wcache.core.mount.MountTable;
import io.wcache.core.path.NamespacePath;
import io.wcache.core.policy.Resolution;
import io.wcache.core.policy.WritePolicy;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A small {@link CacheService} for the module's own mount tests: committed objects are files in a
 * directory (so a 1 GiB object costs no heap), one policy per mount. It follows the contract the
 * FUSE layer relies on (invisible until commit, {@code ifNoneMatch}, readers keep their version
 * across a delete, merged prefix listing with pages); the real service is exercised by the
 * worker's end-to-end tests. {@link #failCommitsUnder} injects commit failures.
 */
final class FileBackedCacheService implements CacheService {

    private record Stored(Path file, ObjectInfo info) {
    }

    private final Path dir;
    private final MountTable mounts;
    private final Map<String, WritePolicy> policies;
    private final ConcurrentSkipListMap<String, Stored> objects = new ConcurrentSkipListMap<>(NamespacePath::compareCodePoints);
    private final AtomicLong ids = new AtomicLong();
    private final Set<String> failingPrefixes = ConcurrentHashMap.newKeySet();
    final AtomicLong deletes = new AtomicLong();

    FileBackedCacheService(Path dir, Map<String, WritePolicy> policyByMount) {
        this.dir = dir;
        this.policies = Map.copyOf(policyByMount);
        List<Mount> ms = new ArrayList<>();
        policyByMount.keySet().forEach(name -> ms.add(Mount.of("/" + name, "file:///ufs/" + name, Map.of())));
        this.mounts = MountTable.of(ms);
    }

    private final Set<String> failingAppendPrefixes = ConcurrentHashMap.newKeySet();

    /** Sessions declare {@link WriteSession#copiesOnAppend} and copy each chunk before append returns. */
    volatile boolean copyOnAppend;
    /** What a copying session's append answers (its backpressure), once the bytes are copied. */
    volatile CompletableFuture<Void> appendSettled = CompletableFuture.completedFuture(null);
    /** Appends, and those handed a direct buffer, by copying sessions. */
    final AtomicLong copiedAppends = new AtomicLong();
    final AtomicLong directAppends = new AtomicLong();
    /** The largest single append any session received: the size of the kernel's write requests. */
    final AtomicLong largestAppend = new AtomicLong();

    /** Appends past the first 256 KiB of paths under {@code prefix} fail with Unavailable from now on. */
    void failAppendsUnder(String prefix) {
        failingAppendPrefixes.add(prefix);
    }

    /** Commits of paths under {@code prefix} fail with OutOfSpace from now on. */
    void failCommitsUnder(String prefix) {
        failingPrefixes.add(prefix);
    }

    Optional<byte[]> content(String path) {
        Stored s = objects.get(path);
        try {
            return s == null ? Optional.empty() : Optional.of(Files.readAllBytes(s.file));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static final ThreadLocal<Boolean> SEEDING = ThreadLocal.withInitial(() -> false);

    /** Stores an object whatever its path's policy (how a READ_ONLY mount's UFS content is simulated). */
    void seed(String path, byte[] data) {
        SEEDING.set(true);
        try {
            put(path, data);
        } finally {
            SEEDING.set(false);
        }
    }

    void put(String path, byte[] data) {
        WriteSession s = create(NamespacePath.of(path), WriteOptions.defaults()).join();
        s.append(ByteBuffer.wrap(data)).join();
        s.commit().join();
    }

    @Override
    public MountTable mounts() {
        return mounts;
    }

    @Override
    public Resolution resolvePolicy(NamespacePath path) {
        WritePolicy p = policies.getOrDefault(path.mountName(), WritePolicy.WRITE_BACK);
        return new Resolution(path, p, 1, Optional.empty(), "per-mount test policy");
    }

    @Override
    public CompletableFuture<WriteSession> create(NamespacePath path, WriteOptions options) {
        try {
            mounts.resolve(path);
            WritePolicy policy = resolvePolicy(path).policy();
            if (policy == WritePolicy.READ_ONLY && !SEEDING.get()) {
                throw new WcacheException.ReadOnly(path.toString(), "read-only");
            }
            if (options.ifNoneMatch() && objects.containsKey(path.toString())) {
                throw new WcacheException.AlreadyExists(path.toString(), "exists");
            }
            Path file = dir.resolve("obj-" + ids.incrementAndGet());
            FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            return CompletableFuture.completedFuture(new Session(path, policy, file, ch));
        } catch (RuntimeException | IOException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    private final class Session implements WriteSession {
        private final NamespacePath path;
        private final WritePolicy policy;
        private final Path file;
        private final FileChannel channel;
        private final boolean copying = copyOnAppend;
        private long written;
        private boolean closed;

        Session(NamespacePath path, WritePolicy policy, Path file, FileChannel channel) {
            this.path = path;
            this.policy = policy;
            this.file = file;
            this.channel = channel;
        }

        @Override
        public NamespacePath path() {
            return path;
        }

        @Override
        public WritePolicy policy() {
            return policy;
        }

        @Override
        public synchronized long written() {
            return written;
        }

        @Override
        public boolean copiesOnAppend() {
            return copying;
        }

        @Override
        public synchronized CompletableFuture<Void> append(ByteBuffer chunk) {
            try {
                if (closed) {
                    throw new WcacheException.Conflict(path.toString(), "session closed");
                }
                largestAppend.accumulateAndGet(chunk.remaining(), Math::max);
                if (copying) {
                    byte[] copy = new byte[chunk.remaining()];
                    chunk.duplicate().get(copy);
                    copiedAppends.incrementAndGet();
                    if (chunk.isDirect()) {
                        directAppends.incrementAndGet();
                    }
                    chunk = ByteBuffer.wrap(copy);
                }
                for (String prefix : failingAppendPrefixes) {
                    if (path.toString().startsWith(prefix) && written >= 256 * 1024) {
                        throw new WcacheException.Unavailable(path.toString(), "injected: disk gone", null);
                    }
                }
                while (chunk.hasRemaining()) {
                    written += channel.write(chunk);
                }
                return copying ? appendSettled : CompletableFuture.completedFuture(null);
            } catch (RuntimeException | IOException e) {
                return CompletableFuture.failedFuture(e);
            }
        }

        @Override
        public synchronized CompletableFuture<ObjectInfo> commit(
                java.util.Optional<io.wcache.core.cache.ObjectChecksum> checksum) {
            try {
                closed = true;
                channel.force(true);
                channel.close();
                for (String prefix : failingPrefixes) {
                    if (path.toString().startsWith(prefix)) {
                        Files.deleteIfExists(file);
                        throw new WcacheException.OutOfSpace(path.toString(), "injected: pinned space full",
                                Duration.ofSeconds(1));
                    }
                }
                ObjectInfo info = new ObjectInfo(path, written, "etag-" + file.getFileName(), Instant.now(), null,
                        Map.of(), policy == WritePolicy.TRANSIENT ? PersistStatus.TRANSIENT : PersistStatus.NOT_PERSISTED,
                        policy, ids.incrementAndGet(), List.of());
                objects.put(path.toString(), new Stored(file, info));
                return CompletableFuture.completedFuture(info);
            } catch (RuntimeException | IOException e) {
                return CompletableFuture.failedFuture(e);
            }
        }

        @Override
        public synchronized CompletableFuture<Void> abort() {
            try {
                if (!closed) {
                    closed = true;
                    channel.close();
                    Files.deleteIfExists(file);
                }
                return CompletableFuture.completedFuture(null);
            } catch (IOException e) {
                return CompletableFuture.failedFuture(e);
            }
        }
    }

    @Override
    public CompletableFuture<Optional<ObjectInfo>> stat(NamespacePath path) {
        Stored s = objects.get(path.toString());
        return CompletableFuture.completedFuture(Optional.ofNullable(s).map(Stored::info));
    }

    @Override
    public CompletableFuture<ObjectReader> open(NamespacePath path) {
        Stored s = objects.get(path.toString());
        if (s == null) {
            return CompletableFuture.failedFuture(new WcacheException.NotFound(path.toString(), "no such object"));
        }
        try {
            // an open channel keeps the bytes readable after the path is deleted, like the real reader
            FileChannel ch = FileChannel.open(s.file, StandardOpenOption.READ);
            return CompletableFuture.completedFuture(new ObjectReader() {
                @Override
                public ObjectInfo info() {
                    return s.info;
                }

                @Override
                public CompletableFuture<ByteBuffer> read(long offset, int length) {
                    try {
                        int n = (int) Math.max(0, Math.min(length, s.info.size() - offset));
                        ByteBuffer b = ByteBuffer.allocate(n);
                        while (b.hasRemaining() && ch.read(b, offset + b.position()) > 0) {
                            // keep reading until the requested range is in
                        }
                        return CompletableFuture.completedFuture(b.flip());
                    } catch (IOException e) {
                        return CompletableFuture.failedFuture(e);
                    }
                }

                @Override
                public void close() {
                    try {
                        ch.close();
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }
            });
        } catch (IOException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    @Override
    public CompletableFuture<ListResult> list(ListQuery q) {
        String base = q.mount().toString() + "/";
        String start = q.continuation().orElse(q.startAfter());
        List<ObjectInfo> objs = new ArrayList<>();
        TreeSet<String> prefixes = new TreeSet<>(NamespacePath::compareCodePoints);
        String last = null;
        boolean more = false;
        for (Map.Entry<String, Stored> e : objects.tailMap(base + q.prefix()).entrySet()) {
            String full = e.getKey();
            if (!full.startsWith(base + q.prefix())) {
                break;
            }
            String key = full.substring(base.length());
            if (!start.isEmpty() && NamespacePath.compareCodePoints(key, start) <= 0) {
                continue;
            }
            String entry = key;
            int cut = q.delimiter().isEmpty() ? -1 : key.indexOf(q.delimiter(), q.prefix().length());
            if (cut >= 0) {
                entry = key.substring(0, cut + q.delimiter().length());
                if (prefixes.contains(entry)) {
                    continue;
                }
            }
            if (objs.size() + prefixes.size() >= q.maxKeys()) {
                more = true;
                break;
            }
            if (cut >= 0) {
                prefixes.add(entry);
                // the token skips the whole group
                last = entry + "\uffff";
            } else {
                objs.add(e.getValue().info);
                last = key;
            }
        }
        return CompletableFuture.completedFuture(new ListResult(objs, List.copyOf(prefixes),
                more ? Optional.of(last) : Optional.empty()));
    }

    @Override
    public CompletableFuture<Boolean> delete(NamespacePath path) {
        if (resolvePolicy(path).policy() == WritePolicy.READ_ONLY) {
            return CompletableFuture.failedFuture(new WcacheException.ReadOnly(path.toString(), "read-only"));
        }
        deletes.incrementAndGet();
        Stored s = objects.remove(path.toString());
        if (s != null) {
            try {
                Files.deleteIfExists(s.file);
            } catch (IOException e) {
                return CompletableFuture.failedFuture(e);
            }
        }
        return CompletableFuture.completedFuture(s != null);
    }

    @Override
    public CompletableFuture<MultipartUpload> createMultipart(NamespacePath path, WriteOptions options) {
        return CompletableFuture.failedFuture(new UnsupportedOperationException("multipart is not used by FUSE"));
    }

    @Override
    public CompletableFuture<WriteSession> uploadPart(NamespacePath path, String uploadId, int partNumber) {
        return CompletableFuture.failedFuture(new UnsupportedOperationException("multipart is not used by FUSE"));
    }

    @Override
    public CompletableFuture<ObjectInfo> completeMultipart(NamespacePath path, String uploadId, List<PartRef> parts) {
        return CompletableFuture.failedFuture(new UnsupportedOperationException("multipart is not used by FUSE"));
    }

    @Override
    public CompletableFuture<Void> abortMultipart(NamespacePath path, String uploadId) {
        return CompletableFuture.failedFuture(new UnsupportedOperationException("multipart is not used by FUSE"));
    }

    @Override
    public CompletableFuture<List<PartInfo>> listParts(NamespacePath path, String uploadId) {
        return CompletableFuture.failedFuture(new UnsupportedOperationException("multipart is not used by FUSE"));
    }

    @Override
    public CompletableFuture<List<MultipartUpload>> listMultipartUploads(String prefix) {
        return CompletableFuture.completedFuture(List.of());
    }
}
