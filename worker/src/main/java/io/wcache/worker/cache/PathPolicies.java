package io.wcache.worker.cache;

import io.wcache.core.cache.WriteOptions;
import io.wcache.core.error.WcacheException;
import io.wcache.core.mount.MountTable;
import io.wcache.core.path.NamespacePath;
import io.wcache.core.policy.PathConfig;
import io.wcache.core.policy.Resolution;
import io.wcache.core.policy.WritePolicy;
import io.wcache.persister.ufs.UfsObject;
import io.wcache.persister.ufs.UfsRouter;
import io.wcache.schema.catalog.Catalog;
import io.wcache.schema.catalog.FileVersion;
import io.wcache.schema.catalog.WriteCondition;
import java.util.Optional;

/**
 * The policy decisions of the worker's cache service: which write policy a path has (the path
 * rules, cached for a second), whether a path may be written, whether it is read from the cache
 * only, and whether a conditional write's condition holds against the path's current object
 * wherever it is (the Catalog, else the UFS).
 */
final class PathPolicies {

    private static final long PATH_CONFIG_TTL_NANOS = 1_000_000_000L;

    private final Catalog catalog;
    private final UfsRouter ufs;
    private final TtlCache<PathConfig> pathConfig;

    PathPolicies(Catalog catalog, UfsRouter ufs, PathConfig baseConfig) {
        this.catalog = catalog;
        this.ufs = ufs;
        this.pathConfig = new TtlCache<>(() -> catalog.cluster().pathConfig(baseConfig), PATH_CONFIG_TTL_NANOS);
    }

    MountTable mounts() {
        return ufs.mounts();
    }

    Resolution resolve(NamespacePath path) {
        return pathConfig.get().resolve(path);
    }

    /** Whether the path rules are cached and fresh, so that resolving a policy reads nothing. */
    boolean fresh() {
        return pathConfig.fresh() != null;
    }

    void refresh() {
        pathConfig.invalidate();
    }

    /** The path is an object of a mount: {@code /<mount>/<key>}. */
    void requireObjectPath(NamespacePath path) {
        mounts().resolve(path);
        if (path.depth() < 2) {
            throw new WcacheException.InvalidPath(path.toString(), "an object path is /<mount>/<key>");
        }
    }

    /**
     * The path's policy, refusing a {@code READ_ONLY} path with {@code ReadOnly} and a path in a
     * bucket's archive of versions ({@code .wcache-versions}, written only by versioning itself)
     * with {@code InvalidPath}: neither S3 nor FUSE writes or deletes there.
     */
    Resolution requireWritable(NamespacePath path) {
        if (io.wcache.core.path.ObjectVersions.isReserved(path)) {
            throw new WcacheException.InvalidPath(path.toString(), "the first segment '"
                    + io.wcache.core.path.ObjectVersions.RESERVED_SEGMENT + "' of a bucket is reserved for its object versions");
        }
        Resolution r = resolve(path);
        if (!r.policy().acceptsWrites()) {
            throw new WcacheException.ReadOnly(path.toString(), "path is READ_ONLY (" + r.explanation() + ")");
        }
        return r;
    }

    /** {@code TRANSIENT} paths are read from the cache only: what the cache does not hold does not exist. */
    boolean cacheOnly(NamespacePath path) {
        return resolve(path).policy() == WritePolicy.TRANSIENT;
    }

    static boolean conditional(WriteOptions options) {
        return options.ifNoneMatch() || !options.ifMatch().isEmpty();
    }

    /** The condition a write's commit checks in its Catalog transaction. */
    static WriteCondition conditionOf(WriteOptions options) {
        if (options.ifNoneMatch()) {
            return WriteCondition.absent();
        }
        return options.ifMatch().isEmpty() ? WriteCondition.NONE : WriteCondition.ifMatch(options.ifMatch());
    }

    /**
     * Checks a conditional write against the path's current object wherever it is (the Catalog,
     * else the UFS): when the write is created, and again right before a synchronous UFS write
     * ({@code WRITE_THROUGH}, {@code NO_CACHE}) under the path's lock. The Catalog commit checks the
     * cached part once more in its own transaction, which is what makes racing creators atomic.
     */
    void checkWriteConditions(NamespacePath path, WriteOptions options) {
        if (!conditional(options)) {
            return;
        }
        Optional<String> etag = currentEtag(path);
        if (options.ifNoneMatch() && etag.isPresent()) {
            throw new WcacheException.AlreadyExists(path.toString(), "object exists");
        }
        WriteCondition c = conditionOf(options);
        if (!c.etagMatch().isEmpty() && etag.isEmpty()) {
            // As S3: If-Match on a key that does not exist is 404 NoSuchKey, not a failed precondition.
            throw new WcacheException.NotFound(path.toString(), "no object to match If-Match");
        }
        if (!c.etagMatch().isEmpty() && !c.matches(etag.get())) {
            throw new WcacheException.Conflict(path.toString(), "object's ETag is " + etag.get() + ", not one of "
                    + c.etagMatch());
        }
    }

    /** The ETag of the path's current object: the Catalog's version, none if deleted, else the UFS object's. */
    private Optional<String> currentEtag(NamespacePath path) {
        Optional<FileVersion> v = catalog.files().lookup(path);
        if (v.isPresent()) {
            return Optional.of(v.get().etag());
        }
        if (catalog.files().tombstone(path).isPresent()) {
            return Optional.empty();
        }
        return ufs.ufsFor(path).head(path.relativeToMount()).map(UfsObject::etag);
    }
}
