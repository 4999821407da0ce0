package io.wcache.schema.catalog;

import com.apple.foundationdb.KeyValue;
import com.apple.foundationdb.record.provider.foundationdb.FDBStoreTimer;
import com.apple.foundationdb.tuple.Tuple;
import com.google.protobuf.InvalidProtocolBufferException;
import io.wcache.core.error.WcacheException;
import io.wcache.core.path.NamespacePath;
import io.wcache.schema.proto.WcacheRecords;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The undo of commits made before their log sync was confirmed, within one transaction. A commit
 * the write pipeline applies while the sync of its bytes is still running (the two overlap) leaves,
 * beside the new version, raw keys in the counters subspace under {@code ("pendingSync", fileId)}:
 * the path, the new generation, the superseded {@code File}, {@code PersistTask} and
 * {@code Tombstone} as they were, the superseded extents (chunks of {@link #EXTENTS_PER_KEY}), and,
 * for a small write acknowledged before its log sync, a copy of its body (key part {@link #COPY}):
 * restart recovery writes lost records again from it rather than rolling the path back.
 * Nothing else changes: the commit removes the superseded version and its extent records as any
 * commit does, so every other reader of the Catalog sees an ordinary commit. Confirming the sync
 * is one blind range clear (no read, no conflict), carried by a later batch; rolling back puts the
 * superseded records back. Raw keys, not a record type: the meta-data is unchanged.
 */
final class PendingSyncs {

    static final String PREFIX = "pendingSync";
    static final int EXTENTS_PER_KEY = 256;
    /** The key part of the head (path, generation, superseded records). */
    private static final long HEAD = -1L;
    /** The key part of the body's copy (sorts before the head). */
    private static final long COPY = -2L;

    private final Tx t;

    PendingSyncs(Tx t) {
        this.t = t;
    }

    /** Records the undo of a commit of {@code fileId} that replaced {@code current} (each may be null). */
    void record(String path, long fileId, long generation, WcacheRecords.File current, List<Extent> currentExtents,
                WcacheRecords.PersistTask task, WcacheRecords.Tombstone tomb, byte[] copy) {
        Tuple head = Tuple.from(path, generation, bytes(current), bytes(task), bytes(tomb));
        t.ctx.ensureActive().set(t.counters.pack(Tuple.from(PREFIX, fileId, HEAD)), head.pack());
        if (copy != null) {
            t.ctx.ensureActive().set(t.counters.pack(Tuple.from(PREFIX, fileId, COPY)), copy);
        }
        for (int i = 0; i * EXTENTS_PER_KEY < currentExtents.size(); i++) {
            List<Object> items = new ArrayList<>();
            for (Extent e : currentExtents.subList(i * EXTENTS_PER_KEY,
                    Math.min(currentExtents.size(), (i + 1) * EXTENTS_PER_KEY))) {
                items.add(RecordMapping.extent(e).toByteArray());
            }
            t.ctx.ensureActive().set(t.counters.pack(Tuple.from(PREFIX, fileId, (long) i)), Tuple.fromList(items).pack());
        }
    }

    /** The sync of {@code fileId}'s bytes is confirmed: its undo goes (a blind clear). */
    void confirm(long fileId) {
        t.ctx.ensureActive().clear(t.counters.range(Tuple.from(PREFIX, fileId)));
    }

    /** Every recorded undo, in key order (file id). */
    List<Undo> all() {
        return parse(t.ctx.asyncToSync(FDBStoreTimer.Waits.WAIT_SCAN_RECORDS,
                t.ctx.ensureActive().getRange(t.counters.range(Tuple.from(PREFIX))).asList()));
    }

    /** The undo of {@code fileId}, if one is recorded. */
    Optional<Undo> of(long fileId) {
        List<Undo> found = parse(t.ctx.asyncToSync(FDBStoreTimer.Waits.WAIT_SCAN_RECORDS,
                t.ctx.ensureActive().getRange(t.counters.range(Tuple.from(PREFIX, fileId))).asList()));
        return found.isEmpty() ? Optional.empty() : Optional.of(found.get(0));
    }

    /** The undos held by {@code kvs} (keys of this subspace, in order): per file id its copy, head, then extents. */
    private List<Undo> parse(List<KeyValue> kvs) {
        List<Undo> out = new ArrayList<>();
        Undo cur = null;
        long copyOf = 0;
        byte[] copy = null;
        for (KeyValue kv : kvs) {
            Tuple k = t.counters.unpack(kv.getKey());
            long fileId = k.getLong(1);
            long part = k.getLong(2);
            if (part == COPY) {
                copyOf = fileId;
                copy = kv.getValue();
            } else if (part == HEAD) {
                Tuple v = Tuple.fromBytes(kv.getValue());
                cur = new Undo(fileId, v.getString(0), v.getLong(1),
                        parse(v.getBytes(2), WcacheRecords.File.parser()),
                        parse(v.getBytes(3), WcacheRecords.PersistTask.parser()),
                        parse(v.getBytes(4), WcacheRecords.Tombstone.parser()), new ArrayList<>(),
                        copy != null && copyOf == fileId ? copy : null);
                copy = null;
                out.add(cur);
            } else if (cur != null && cur.fileId == fileId) {
                for (Object o : Tuple.fromBytes(kv.getValue()).getItems()) {
                    cur.extents.add(RecordMapping.extent(parse((byte[]) o, WcacheRecords.Extent.parser())));
                }
            }
        }
        return out;
    }

    /**
     * Rolls the path of {@code fileId} back to what its commit superseded, if {@code fileId} is
     * still the path's committed version: the version and its extent records go, the superseded
     * version, its extents, its persist task and its tombstone come back as they were, with a
     * generation above the rolled-back one (generations of a path only grow, so nothing the
     * persister holds for the rolled-back generation can apply to the restored one). Empty, and the
     * undo cleared, when the version is no longer current (superseded or deleted since). Empty,
     * and nothing changed, for a commit that carried a copy of its body.
     */
    Optional<RolledBack> rollBack(long fileId) {
        Optional<Undo> found = of(fileId);
        if (found.isEmpty()) {
            return Optional.empty();
        }
        Undo u = found.get();
        if (u.copy() != null) {
            // Acknowledged with its body: never rolled back, and its copy stays until its sync is
            // confirmed (restart recovery writes lost records again from it).
            return Optional.empty();
        }
        confirm(fileId);
        WcacheRecords.File current = t.files.committedAt(u.path);
        if (current == null || current.getFileId() != fileId) {
            return Optional.empty();
        }
        t.sessions.forget(u.path);
        List<Extent> dropped = t.files.removeCommitted(u.path, current);
        long generation = current.getGeneration() + 1;
        WcacheRecords.PersistTask task = t.tasks.task(u.path);
        if (task != null) {
            t.tasks.delete(u.path);
        }
        if (u.task != null) {
            t.store.saveRecord(u.task.toBuilder().setGeneration(generation).build());
        }
        t.files.deleteTombstone(u.path);
        if (u.tomb != null) {
            t.store.saveRecord(u.tomb.toBuilder().setGeneration(generation).build());
        }
        Optional<FileVersion> restored = Optional.empty();
        if (u.file != null) {
            WcacheRecords.File f = u.file.toBuilder().setGeneration(generation).build();
            t.store.saveRecord(f);
            for (Extent e : u.extents) {
                t.files.saveExtent(e);
            }
            FileVersion v = RecordMapping.file(f);
            t.space.account(v, +1);
            restored = Optional.of(v);
        } else if (current.getKeepVersions()) {
            // A versioned bucket's commit archived the version it superseded: it becomes current again.
            restored = t.versions.restoreNewest(NamespacePath.of(u.path));
        }
        return Optional.of(new RolledBack(RecordMapping.file(current), dropped, restored,
                u.file == null ? List.of() : u.extents));
    }

    private static byte[] bytes(com.google.protobuf.Message m) {
        return m == null ? null : m.toByteArray();
    }

    private static <M> M parse(byte[] b, com.google.protobuf.Parser<M> parser) {
        if (b == null) {
            return null;
        }
        try {
            return parser.parseFrom(b);
        } catch (InvalidProtocolBufferException e) {
            throw new WcacheException.Corruption("pendingSync", "an undo record does not parse: " + e.getMessage());
        }
    }

    /** One recorded undo. */
    record Undo(long fileId, String path, long generation, WcacheRecords.File file, WcacheRecords.PersistTask task,
                WcacheRecords.Tombstone tomb, List<Extent> extents, byte[] copy) {

        PendingSync view() {
            return new PendingSync(path, fileId, generation, Optional.ofNullable(file).map(RecordMapping::file), extents,
                    Optional.ofNullable(copy));
        }
    }
}
