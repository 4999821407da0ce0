package io.wcache.schema.catalog;

import static io.wcache.schema.catalog.RecordTypes.as;

import com.apple.foundationdb.record.provider.foundationdb.FDBDatabase;
import com.apple.foundationdb.tuple.Tuple;
import com.google.protobuf.Message;
import io.wcache.core.error.WcacheException;
import io.wcache.schema.proto.WcacheRecords;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Cluster membership in the Catalog: each worker's {@code Worker} record holds its addresses and a
 * lease it renews ({@link #renew}). A worker whose lease has lapsed is {@link Member.State#DEAD}
 * for every reader, whatever it believes itself; a draining worker is still live but takes no new
 * paths. The lease is judged against the reader's clock, so the clocks of the workers must agree
 * to well within the lease duration (one process shares one clock).
 */
public final class Membership {

    private final CatalogTransactions transactions;

    /** The membership of the Catalog named {@code catalogName} on {@code database}. */
    public Membership(FDBDatabase database, String catalogName, Clock clock) {
        this(new CatalogTransactions(database, catalogName, clock));
    }

    /** The membership of a Catalog, through its transaction runner ({@link Catalog#membership()}). */
    Membership(CatalogTransactions transactions) {
        this.transactions = transactions;
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
        return transactions.run(t -> {
            long now = t.now;
            WcacheRecords.Worker old = load(t, id);
            long started = (old == null || rejoin) ? now : old.getStartedTimeMs();
            boolean draining = old != null && !rejoin && old.getDraining();
            WcacheRecords.Worker w = WcacheRecords.Worker.newBuilder().setId(id).setAddress(addresses.s3())
                    .setS3Address(addresses.s3()).setAdminAddress(addresses.admin())
                    .setInternalAddress(addresses.internal()).setCapacityBytes(capacityBytes)
                    .setHeartbeatTimeMs(now).setStartedTimeMs(started).setDraining(draining)
                    .setLeaseExpiryMs(now + lease.toMillis()).build();
            t.store.saveRecord(w);
            return member(w, now);
        });
    }

    /** A clean stop: the lease ends now, so the others stop counting on the worker at once. */
    public void leave(String id) {
        transactions.run(t -> {
            WcacheRecords.Worker old = load(t, id);
            if (old != null) {
                t.store.saveRecord(old.toBuilder().setLeaseExpiryMs(t.now).build());
            }
            return null;
        });
    }

    /** Marks a worker draining (or not); fails with {@code NotFound} for an unknown worker. */
    public Member setDraining(String id, boolean draining) {
        return transactions.run(t -> {
            WcacheRecords.Worker old = load(t, id);
            if (old == null) {
                throw new WcacheException.NotFound(id, "no worker named " + id);
            }
            WcacheRecords.Worker w = old.toBuilder().setDraining(draining).build();
            t.store.saveRecord(w);
            return member(w, t.now);
        });
    }

    /** Every registered worker, by id, with its state judged now. */
    public List<Member> members() {
        return transactions.run(t -> {
            List<Member> out = new ArrayList<>();
            for (Message m : t.scanType(RecordTypes.WORKER, Integer.MAX_VALUE)) {
                out.add(member(as(m, WcacheRecords.Worker.getDefaultInstance()), t.now));
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

    private static WcacheRecords.Worker load(Tx t, String id) {
        return t.load(Tuple.from(RecordTypes.WORKER, id), WcacheRecords.Worker.getDefaultInstance());
    }
}
