package io.wcache.worker.cluster;

import io.wcache.schema.catalog.Membership;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps one worker's membership lease: registers it at start, renews the lease every heartbeat
 * interval, and on a clean stop ends it at once ({@link #leave}). {@link #cut} stops renewing
 * without a word, as a crash does: the others see the worker dead when the lease lapses.
 */
public final class MembershipLease implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(MembershipLease.class);

    private final Membership membership;
    private final String workerId;
    private final Membership.Addresses addresses;
    private final long capacityBytes;
    private final Duration lease;
    private final ScheduledExecutorService timer;
    private final AtomicBoolean stopped = new AtomicBoolean();
    private final Consumer<Membership.Member> onRenewed;

    private MembershipLease(Membership membership, String workerId, Membership.Addresses addresses, long capacityBytes,
                            Duration lease, Consumer<Membership.Member> onRenewed) {
        this.membership = membership;
        this.workerId = workerId;
        this.addresses = addresses;
        this.capacityBytes = capacityBytes;
        this.lease = lease;
        this.onRenewed = onRenewed;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "wcache-lease-" + workerId);
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Registers the worker (a first beat: it rejoins) and renews its lease every {@code heartbeat}.
     * Fails if the first registration fails: a worker that cannot join does not start.
     */
    public static MembershipLease start(Membership membership, String workerId, Membership.Addresses addresses,
                                        long capacityBytes, Duration lease, Duration heartbeat,
                                        Consumer<Membership.Member> onRenewed) {
        if (heartbeat.compareTo(lease) >= 0) {
            throw new IllegalStateException("cluster.heartbeat.interval (" + heartbeat + ") must be shorter than "
                    + "cluster.lease.duration (" + lease + ")");
        }
        MembershipLease l = new MembershipLease(membership, workerId, addresses, capacityBytes, lease, onRenewed);
        onRenewed.accept(membership.renew(workerId, addresses, capacityBytes, lease, true));
        LOG.info("event=worker_joined worker={} s3={} admin={} internal={} lease={}", workerId, addresses.s3(),
                addresses.admin(), addresses.internal(), lease);
        l.timer.scheduleWithFixedDelay(l::beat, heartbeat.toMillis(), heartbeat.toMillis(), TimeUnit.MILLISECONDS);
        return l;
    }

    private void beat() {
        if (stopped.get()) {
            return;
        }
        try {
            onRenewed.accept(membership.renew(workerId, addresses, capacityBytes, lease, false));
        } catch (RuntimeException e) {
            // The next beat tries again; if none succeeds within the lease, the others count this worker dead.
            LOG.warn("event=lease_renewal_failed worker={} error={}", workerId, e.toString());
        }
    }

    /** Stops renewing without ending the lease (a crash): it lapses by itself. */
    public void cut() {
        stopped.set(true);
        timer.shutdownNow();
    }

    /** Stops renewing and ends the lease now (a clean stop). */
    public void leave() {
        cut();
        try {
            membership.leave(workerId);
            LOG.info("event=worker_left worker={}", workerId);
        } catch (RuntimeException e) {
            LOG.warn("event=lease_end_failed worker={} error={}", workerId, e.toString());
        }
    }

    @Override
    public void close() {
        leave();
    }
}
