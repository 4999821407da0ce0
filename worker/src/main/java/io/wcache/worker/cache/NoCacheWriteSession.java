package io.wcache.worker.cache;

import io.wcache.core.cache.ObjectInfo;
import io.wcache.core.cache.PersistStatus;
import io.wcache.core.cache.WriteOptions;
import io.wcache.core.cache.WriteSession;
import io.wcache.core.digest.Md5;
import io.wcache.core.error.WcacheException;
import io.wcache.core.path.NamespacePath;
import io.wcache.core.policy.WritePolicy;
import io.wcache.persister.ufs.PutOptions;
import io.wcache.persister.ufs.UfsObject;
import io.wcache.persister.ufs.UnderFileSystem;
import io.wcache.persister.ufs.UploadSource;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * A {@code NO_CACHE} write: the body is streamed to a spool file in the cache directory (never
 * held in memory), uploaded with {@code UnderFileSystem.put} at commit, and the spool file is
 * deleted whatever happens. No log record is written.
 *
 * <p>The upload joins the path's order: it holds the path's lock (no commit of the path from this
 * worker meanwhile) and runs inside the persister's order for the path (a running upload or delete
 * of an older version finishes first). Right after it, the Catalog's older state of the path (a
 * cached version, a queued upload or delete) is dropped and the persister forgets its queued work,
 * so an older version can neither land after this write nor be read instead of it.
 */
final class NoCacheWriteSession implements WriteSession {

    private final WorkerCacheService svc;
    private final NamespacePath path;
    private final WriteOptions options;
    private final PutOptions putOptions;
    private final UnderFileSystem ufs;
    private final Path spool;
    private final Executor io;
    private final MessageDigest md5;
    private FileChannel channel;
    private long written;
    private boolean done;

    NoCacheWriteSession(WorkerCacheService svc, NamespacePath path, WriteOptions options, PutOptions putOptions,
                        UnderFileSystem ufs, Path spoolDir) {
        this.svc = svc;
        this.path = path;
        this.options = options;
        this.putOptions = putOptions;
        this.ufs = ufs;
        this.io = svc.ioExecutor();
        this.spool = spoolDir.resolve(UUID.randomUUID() + ".spool");
        try {
            Files.createDirectories(spoolDir);
            this.channel = FileChannel.open(spool, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            this.md5 = Md5.newDigest();
        } catch (IOException e) {
            throw new WcacheException.Unavailable(spoolDir.toString(), "cannot create spool file: " + e, e);
        }
    }

    @Override
    public NamespacePath path() {
        return path;
    }

    @Override
    public WritePolicy policy() {
        return WritePolicy.NO_CACHE;
    }

    @Override
    public synchronized long written() {
        return written;
    }

    @Override
    public synchronized CompletableFuture<Void> append(ByteBuffer chunk) {
        if (done) {
            return CompletableFuture.failedFuture(new WcacheException.Conflict(path.toString(), "write session is finished"));
        }
        ByteBuffer src = chunk.duplicate();
        md5.update(src.duplicate());
        try {
            while (src.hasRemaining()) {
                written += channel.write(src);
            }
            return CompletableFuture.completedFuture(null);
        } catch (IOException e) {
            abort();
            return CompletableFuture.failedFuture(new WcacheException.Unavailable(spool.toString(),
                    "cannot write spool file: " + e, e));
        }
    }

    /** A {@code NO_CACHE} write keeps nothing in the Catalog: a checksum is verified by the caller but not stored. */
    @Override
    public CompletableFuture<ObjectInfo> commit(java.util.Optional<io.wcache.core.cache.ObjectChecksum> checksum) {
        byte[] digest;
        synchronized (this) {
            if (done) {
                return CompletableFuture.failedFuture(new WcacheException.Conflict(path.toString(), "write session is finished"));
            }
            done = true;
            digest = md5.digest();
            closeChannel();
        }
        if (options.expectedMd5().isPresent() && !Arrays.equals(options.expectedMd5().get(), digest)) {
            deleteSpool();
            return CompletableFuture.failedFuture(new WcacheException.InvalidArgument(path.toString(),
                    "the body's MD5 does not match the declared Content-MD5"));
        }
        PathLocks.Mutex lock = svc.locks().of(path);
        return lock.acquire().thenApplyAsync(v -> {
            try {
                return svc.inPersistOrder(path, this::upload);
            } finally {
                lock.release();
                deleteSpool();
            }
        }, io);
    }

    /** The UFS write, in the path's order (see the class comment). */
    private ObjectInfo upload() {
        svc.checkWriteConditions(path, options);
        UfsObject o;
        try {
            o = ufs.put(path.relativeToMount(), UploadSource.ofFile(spool), putOptions);
        } catch (IOException e) {
            throw new WcacheException.Unavailable(spool.toString(), "cannot read spool file: " + e, e);
        }
        svc.replacedInUfs(path);
        return new ObjectInfo(path, o.size(), o.etag(), o.lastModified(), putOptions.contentType(),
                putOptions.userMetadata(), PersistStatus.PERSISTED, WritePolicy.NO_CACHE, 0, List.of(),
                putOptions.standardHeaders());
    }

    @Override
    public synchronized CompletableFuture<Void> abort() {
        if (!done) {
            done = true;
            closeChannel();
        }
        deleteSpool();
        return CompletableFuture.completedFuture(null);
    }

    private void closeChannel() {
        try {
            channel.close();
        } catch (IOException e) {
            // nothing was promised about this file's contents
        }
    }

    private void deleteSpool() {
        try {
            Files.deleteIfExists(spool);
        } catch (IOException e) {
            // a leftover spool file is removed at the next start
        }
    }
}
