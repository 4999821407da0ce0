package io.wcache.worker.cache;

import io.wcache.core.cache.ObjectInfo;
import io.wcache.core.cache.PersistStatus;
import io.wcache.core.path.NamespacePath;
import io.wcache.core.policy.WritePolicy;
import io.wcache.persister.ufs.UfsObject;
import io.wcache.schema.catalog.FileVersion;
import java.util.List;

/** What the cache service answers about an object: a Catalog version or a UFS object as an {@link ObjectInfo}. */
final class ObjectInfos {

    private ObjectInfos() {
    }

    static ObjectInfo of(FileVersion v) {
        PersistStatus status = v.damaged() ? PersistStatus.DAMAGED : switch (v.persistState()) {
            case NOT_PERSISTED -> PersistStatus.NOT_PERSISTED;
            case PERSISTING -> PersistStatus.PERSISTING;
            case PERSISTED -> PersistStatus.PERSISTED;
            case TRANSIENT -> PersistStatus.TRANSIENT;
        };
        return new ObjectInfo(v.path(), v.size(), v.etag(), v.committedTime().orElse(v.lastWriteTime()),
                v.contentType().isEmpty() ? null : v.contentType(), v.userMetadata(), status, v.policy(),
                v.generation(), v.partSizes(), v.standardHeaders(), v.tags(), v.checksum(), v.partChecksums(),
                v.versionId(), v.versioning().deleteMarker());
    }

    /** An object known only to the UFS, under the policy its path has now. */
    static ObjectInfo ofUfs(NamespacePath path, UfsObject o, WritePolicy policy) {
        return new ObjectInfo(path, o.size(), o.etag(), o.lastModified(), o.contentType(), o.userMetadata(),
                PersistStatus.PERSISTED, policy, 0, List.of(), o.standardHeaders());
    }
}
