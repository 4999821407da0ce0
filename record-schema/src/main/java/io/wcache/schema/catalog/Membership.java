package io.wcache.schema.catalog;

import com.apple.foundationdb.record.RecordCursor;
import com.apple.foundationdb.record.RecordMetaData;
import com.apple.foundationdb.record.ScanProperties;
import com.apple.foundationdb.record.TupleRange;
import com.apple.foundationdb.record.provider.foundationdb.FDBDatabase;
import com.apple.foundationdb.record.provider.foundationdb.FDBRecordContext;
import com.apple.foundationdb.record.provider.foundationdb.FDBRecordStore;
import com.apple.foundationdb.record.provider.foundationdb.FDBStoredRecord;
import com.apple.foundationdb.record.provider.foundationdb.keyspace.KeySpacePath;
import com.apple.foundationdb.tuple.Tuple;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import io.wcache.core.error.WcacheException;
import io.wcache.schema.WcacheMetaData;
import io.wcache.schema.proto.WcacheRecords;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * Cluster membership in the Catalog: each worker's {@code Worker} record holds its addresses and a
 * lease it renews ({@link #renew}). A worker whose lease has lapsed is {@link Member.State#DEAD}
 * for every reader, whatever it believes itself; a draining worker is still live but takes no new
 * paths. The lease is judged against the reader's clock, so the clocks of the workers must agree
 * to well within the lease duration (one process shares one clock).
 */
public final class Membership {

    private final FDBDatabase database;
    private final KeySpacePath recordsPath;
    private final Clock clock;
    private final RecordMetaData metaData = WcacheMetaData.metaData();
    private final Object workerType;

    /** The membership of the Catalog named {@code catalogName} on {@code database}. */
    public Membership(FDBDatabase database, String catalogName, Clock clock) {
        this.database = database;
        this.recordsPath = CatalogKeySpace.records(catalogName);
        this.clock = clock;
        this.workerType = metaData.getRecordType("Worker").getRecordTypeKey();
    }

    /** Where a worker serves: S3 endpoint, admin API and the internal transport between workers. */
    public record Addresses(String s3, String admin, String internal) {
    }

    /** A worker as the membership records it, with its state judged now. */
    public record Member(String id, Addresses addresses, long capacityBytes, Instant heartbeatTime,
                         Instant startedTime, Instant leaseExpiry, boolean draining, State state) {

        /** LIVE and DRAINING workers hold a lease; only LIVE ones take new paths. */
        public enum State { LIVE, DRAINING, DEAD }

        public boolean alive() {
            return state != State.DEAD;
        }
    }

    /**
     * Registers {@code id} or renews its lease until now + {@code lease}. {@code rejoin} marks the
     * first beat of a (re)started worker: its start time becomes now and a stale draining flag is
     * dropped; later beats keep both.
     */
    public Member renew(String id, Addresses addresses, long capacityBytes, Duration lease, boolean rejoin) {
        return run(store -> {
            long now = clock.millis();
            WcacheRecords.Worker old = load(store, id);
            long started = (old == null || rejoin) ? now : old.getStartedTimeMs();
            boolean draining = old != null && !rejoin && old.getDraining();
            WcacheRecords.Worker w = WcacheRecords.Worker.newBuilder().setId(id).setAddress(addresses.s3())
                    .setS3Address(addresses.s3()).setAdminAddress(addresses.admin())
                    .setInternalAddress(addresses.internal()).setCapacityBytes(capacityBytes)
                    .setHeartbeatTimeMs(now).setStartedTimeMs(started).setDraining(draining)
                    .setLeaseExpiryMs(now + lease.toMillis()).build();
            store.saveRecord(w);
            return member(w, now);
        });
    }

    /** A clean stop: the lease ends now, so the others stop counting on the worker at once. */
    public void leave(String id) {
        run(store -> {
            WcacheRecords.Worker old = load(store, id);
            if (old != null) {
                store.saveRecord(old.toBuilder().setLeaseExpiryMs(clock.millis()).build());
            }
            return null;
        });
    }

    /** Marks a worker draining (or not); fails with {@code NotFound} for an unknown worker. */
    public Member setDraining(String id, boolean draining) {
        return run(store -> {
            WcacheRecords.Worker old = load(store, id);
            if (old == null) {
                throw new WcacheException.NotFound(id, "no worker named " + id);
            }
            WcacheRecords.Worker w = old.toBuilder().setDraining(draining).build();
            store.saveRecord(w);
            return member(w, clock.millis());
        });
    }

    /** Every registered worker, by id, with its state judged now. */
    public List<Member> members() {
        return run(store -> {
            long now = clock.millis();
            List<Member> out = new ArrayList<>();
            try (RecordCursor<FDBStoredRecord<Message>> c = store.scanRecords(TupleRange.allOf(Tuple.from(workerType)),
                    null, ScanProperties.FORWARD_SCAN)) {
                var it = c.asIterator();
                while (it.hasNext()) {
                    out.add(member(parse(it.next().getRecord()), now));
                }
            }
            out.sort(Comparator.comparing(Member::id));
            return out;
        });
    }

    /** Workers holding a lease now (live or draining). */
    public List<Member> alive() {
        return members().stream().filter(Member::alive).toList();
    }

    public Optional<Member> member(String id) {
        return members().stream().filter(m -> m.id().equals(id)).findFirst();
    }

    private static Member member(WcacheRecords.Worker w, long now) {
        // A record from before meta-data version 10 has no lease: it is judged by its heartbeat alone (dead).
        long expiry = w.hasLeaseExpiryMs() ? w.getLeaseExpiryMs() : w.getHeartbeatTimeMs();
        Member.State state = expiry <= now ? Member.State.DEAD
                : w.getDraining() ? Member.State.DRAINING : Member.State.LIVE;
        String s3 = w.hasS3Address() ? w.getS3Address() : w.getAddress();
        return new Member(w.getId(), new Addresses(s3, w.getAdminAddress(), w.getInternalAddress()),
                w.getCapacityBytes(), Instant.ofEpochMilli(w.getHeartbeatTimeMs()),
                Instant.ofEpochMilli(w.getStartedTimeMs()), Instant.ofEpochMilli(expiry), w.getDraining(), state);
    }

    private WcacheRecords.Worker load(FDBRecordStore store, String id) {
        FDBStoredRecord<Message> r = store.loadRecord(Tuple.from(workerType, id));
        return r == null ? null : parse(r.getRecord());
    }

    private static WcacheRecords.Worker parse(Message m) {
        if (m instanceof WcacheRecords.Worker w) {
            return w;
        }
        try {
            return WcacheRecords.Worker.parseFrom(m.toByteString());
        } catch (InvalidProtocolBufferException e) {
            throw new WcacheException.Corruption("metadata", "stored worker record does not parse: " + e.getMessage());
        }
    }

    private <T> T run(Function<FDBRecordStore, T> body) {
        return database.run(ctx -> body.apply(store(ctx)));
    }

    private FDBRecordStore store(FDBRecordContext ctx) {
        return FDBRecordStore.newBuilder().setMetaDataProvider(metaData).setContext(ctx).setKeySpacePath(recordsPath)
                .createOrOpen();
    }
}
