package io.wcache.worker.cache;

import io.wcache.core.cache.WriteSession;
import io.wcache.schema.catalog.ReplicaCopy;
import java.util.List;

/**
 * A write session of this worker whose version other workers copy ({@code writeReplicas > 1}):
 * the cluster streams its bytes to them, then, once each copy is durable, names the copies here
 * before committing, so the commit records them as the version's replicas.
 */
public interface ReplicableWriteSession extends WriteSession {

    /** The file id of the version this session writes (the copies name it). */
    long fileId();

    /** The copies to record with the commit; call before {@code commit}. */
    void replicatedTo(List<ReplicaCopy> copies);
}
