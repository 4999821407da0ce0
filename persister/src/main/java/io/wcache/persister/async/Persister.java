package io.wcache.persister.async;

import io.wcache.core.metrics.Stage;
import io.wcache.core.metrics.Stages;
import io.wcache.core.error.WcacheException;
import io.wcache.core.path.NamespacePath;
import io.wcache.core.policy.WritePolicy;
import io.wcache.persister.ufs.PutOptions;
import io.wcache.persister.ufs.UploadSource;
import io.wcache.persister.ufs.UfsRouter;
import io.wcache.persister.ufs.UnderFileSystem;
import io.wcache.schema.catalog.Catalog;
import io.wcache.schema.catalog.Extent;
import io.wcache.schema.catalog.FileLayout;
import io.wcache.schema.catalog.FileState;
import io.wcache.schema.catalog.FileVersion;
import io.wcache.schema.catalog.PathLease;
import io.wcache.schema.catalog.PersistOutcome;
import io.wcache.schema.catalog.PersistState;
import io.wcache.schema.catalog.PersistTask;
import io.wcache.schema.catalog.TaskKind;
import io.wcache.schema.catalog.TaskClaim;
import io.wcache.schema.catalog.Tombstone;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Uploads committed {@code WRITE_BACK} files to the UFS and applies deletes there, in the
 * background, in per-path order, with retries. Work arrives two ways: the in-memory fast path
 * ({@link #onCommitted}, {@link #onDeleted}, fed from the write pipeline's committed events), and
 * the Catalog's durable persist queue, which a poller claims with a lease after a restart or when
 * the fast path dropped events, so nothing committed is forgotten.
 *
 * <p>Ordering invariant: each path has one lane; at most one UFS operation of a path runs at a
 * time, and a lane holds only the newest pending operation (by generation), so an older upload is
 * skipped once a newer commit or delete is known, and a delete waits for a running upload. An
 * upload re-reads the Catalog before it starts and skips a superseded generation; afterwards the
 * Catalog marks the file {@code PERSISTED} only if the generation is still current. A UFS delete
 * runs only if the Catalog still holds the path's tombstone of that generation, since what a lane
 * knows of newer generations is forgotten when it goes idle. Fast-path and
 * claimed copies of one task meet in the same lane, so they never run twice at once.
 *
 * <p>Failures are rescheduled in the Catalog (attempts, next attempt, last error) with
 * exponential backoff and jitter, and retried by a timer; nothing here blocks a writer.
 */
public final class Persister implements AutoCloseable {

    /**
     * How many of the oldest due tasks a poll reads to find one this persister does not know. While
     * uploads wait for a pause in writes, every task of the burst is due and known, and a poll read
     * them all up to the claim batch (512) five times a second: a burst of CPU beside the writes
     * that lengthened a one-client PUT's tail (docs/PERFORMANCE.md). An unknown task behind this
     * many known ones is claimed once they are uploaded.
     */
    static final int DUE_PEEK = 64;
    private static final Logger LOG = LoggerFactory.getLogger(Persister.class);
    private static final long WARN_INTERVAL_MS = 10_000;
    private static final int FINISHED_REMEMBERED = 4096;

    private final Catalog catalog;
    private final LocalExtents local;
    private final UfsRouter router;
    private final PersisterConfig config;
    private final Clock clock;
    private final ExecutorService uploads;
    /** Marks finished tasks in the Catalog, uploads that finish together in one transaction. */
    private final PersistMarks<PersistOutcome> marks;
    /** Claims the tasks that operations start, those starting together in one transaction. */
    private final PersistMarks<TaskClaim> claims;
    private final ScheduledExecutorService timers;
    private final Thread poller;
    private final Semaphore pollNow = new Semaphore(0);
    // Passes of the durable-queue poller begun and ended, for observers that must know a pass
    // started after some commit has run (pollPassesBegun / pollPassesEnded).
    /** Consecutive failed polls; a WARN from the third (the poller's thread only). */
    private final FailureStreak pollFailures = new FailureStreak(3, Duration.ofMillis(WARN_INTERVAL_MS));
    private final java.util.concurrent.atomic.AtomicLong pollPassesBegun = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong pollPassesEnded = new java.util.concurrent.atomic.AtomicLong();
    /** Poller thread only: the first look at the durable queue after start claims even young tasks. */
    private boolean firstPass = true;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition laneFreed = lock.newCondition();
    // Guarded by lock: lanes by path text, and the per-state counts derived from them.
    private final Map<String, Lane> lanes = new HashMap<>();
    /**
     * The newest generation this persister finished per path (uploaded, deleted, or found superseded),
     * for the last {@link #FINISHED_REMEMBERED} paths. A poll's claim reads the durable queue at a
     * version from before an upload's mark committed and looks at the lanes after the lane was
     * dropped: without this, the finished task looked unknown, was claimed, and the claim conflicted
     * with the mark. Guarded by {@link #lock}.
     */
    private final Map<String, Long> finishedGenerations = new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Long> eldest) {
            return size() > FINISHED_REMEMBERED;
        }
    };
    private int queued;
    private int inFlight;
    private int retrying;
    /**
     * Lanes whose next upload waits for a pause in writes ({@link PersisterConfig.Deferral}), in the
     * order they began to wait, and the bytes those uploads hold. Guarded by lock.
     */
    private final Set<Lane> deferred = new LinkedHashSet<>();
    private long deferredBytes;
    /** The timer that looks at the deferred lanes next, and when (nanoTime). Guarded by lock. */
    private ScheduledFuture<?> deferralCheck;
    private long deferralCheckAt;
    /** Write activity: a count that moves with every write (the worker's pipeline), plus the commits seen here. */
    private volatile LongSupplier writeActivity = () -> 0;
    private final AtomicLong writesSeen = new AtomicLong();
    /** Pinned space taken and its cap: uploads wait only while less than half of it is taken. */
    private volatile LongSupplier pinnedInUse = () -> 0;
    private volatile long pinnedCap = Long.MAX_VALUE;
    /** The activity count last read and when it was last seen to move (nanoTime). Guarded by lock. */
    private long lastActivity = Long.MIN_VALUE;
    private long lastActivityNanos;

    private final AtomicLong failedAttempts = new AtomicLong();
    private final AtomicLong persisted = new AtomicLong();
    private final AtomicLong persistedBytes = new AtomicLong();
    private final AtomicLong deleted = new AtomicLong();
    private final AtomicLong superseded = new AtomicLong();
    /** Operations that found another persister's lease on their path and waited for it. */
    private final AtomicLong heldBack = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong lastWarnMs = new AtomicLong();
    private final AtomicLong suppressedWarns = new AtomicLong();
    private final RateWindow rate = new RateWindow(PersistStats.RATE_WINDOW);
    private volatile boolean started;
    private volatile boolean closed;

    /** The UFS state of one path. All fields are guarded by the persister's lock. */
    private static final class Lane {
        final NamespacePath path;
        /** The operation handed to the upload pool, or null; {@code started} once a thread runs it. */
        PersistTask running;
        boolean started;
        /** The newest operation waiting to run, or null; older ones are dropped when it arrives. */
        PersistTask next;
        /** The committed layout that came with {@code next} on the fast path, so its upload needs no Catalog read. */
        FileLayout nextLayout;
        /** {@code next} failed before and waits for {@code retry}. */
        boolean backingOff;
        ScheduledFuture<?> retry;
        /** A synchronous UFS write holds the path ({@link #exclusive}); threads waiting for it. */
        boolean exclusive;
        int waiters;
        /** The highest generation handed to this lane: anything not newer is a duplicate or stale. */
        long highest = Long.MIN_VALUE;
        /**
         * {@code next} is an upload waiting for a pause in writes, since {@code deferredSince}
         * (nanoTime; kept when a newer version replaces it, so an overwritten path still uploads
         * within the longest wait), counted in the deferred bytes as {@code deferredSize}.
         */
        boolean deferred;
        long deferredSince;
        long deferredSize;

        Lane(NamespacePath path) {
            this.path = path;
        }

        boolean idle() {
            return running == null && next == null && !exclusive && waiters == 0;
        }
    }

    public Persister(Catalog catalog, LocalExtents local, UfsRouter router, PersisterConfig config, Clock clock) {
        this.catalog = catalog;
        this.local = local;
        this.router = router;
        this.config = config;
        this.clock = clock;
        this.marks = new PersistMarks<>(tasks -> catalog.persistQueue().markPersisted(tasks),
                config.markLinger().toNanos());
        // No linger: an operation's start is not delayed for others to share its claim.
        this.claims = new PersistMarks<>(tasks -> catalog.persistQueue().claim(tasks, config.owner(), config.lease()));
        AtomicInteger n = new AtomicInteger();
        this.uploads = Executors.newFixedThreadPool(config.threads(), r -> daemon(r, "wcache-persist-" + n.incrementAndGet()));
        this.timers = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "wcache-persist-retry"));
        long renewMs = Math.max(10, config.lease().toMillis() / 3);
        timers.scheduleWithFixedDelay(this::renewLeases, renewMs, renewMs, TimeUnit.MILLISECONDS);
        this.poller = daemon(this::pollLoop, "wcache-persist-poller");
    }

    public Persister(Catalog catalog, LocalExtents local, UfsRouter router, PersisterConfig config) {
        this(catalog, local, router, config, Clock.systemUTC());
    }

    /**
     * A persister thread: a daemon at the lowest priority. Uploads are background work; where the
     * JVM maps priorities to the OS's (the launcher's {@code -XX:ThreadPriorityPolicy=1}, as root)
     * they run at nice 10 and give way to the write path's threads when the cores are busy, instead
     * of taking an equal share from the next acknowledged write. With {@link PersisterConfig#idlePriority}
     * their transfers go further, into the idle scheduling class ({@link #transfer}).
     */
    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        t.setPriority(Thread.MIN_PRIORITY);
        return t;
    }

    /**
     * Runs a transfer to or from the object store: in the idle scheduling class when so configured
     * ({@link IdleScheduling}), so request threads preempt it; Catalog work stays outside it.
     */
    private void transfer(Runnable call) {
        if (config.idlePriority()) {
            IdleScheduling.during(call);
        } else {
            call.run();
        }
    }

    /**
     * Resumes this worker's own claimed tasks left by a previous run (their leases have not
     * expired yet, so nobody else would take them) and starts polling the durable queue, whose
     * first pass claims every task that is due.
     */
    public void start() {
        if (started) {
            return;
        }
        started = true;
        Instant now = clock.instant();
        int resumed = 0;
        for (PersistTask t : catalog.persistQueue().pendingTasks(config.maxTrackedPaths())) {
            if (t.leaseOwner().filter(config.owner()::equals).isPresent()
                    && t.leaseExpiry().filter(now::isBefore).isPresent() && submit(t)) {
                resumed++;
            }
        }
        poller.start();
        LOG.info("event=persister_started owner={} threads={} resumed={} retry_initial={} retry_max={}",
                config.owner(), config.threads(), resumed, config.backoff().initial(), config.backoff().max());
    }

    // ---------------------------------------------------------------- input

    /**
     * A version was committed (fast path). A {@code WRITE_BACK} version is queued for upload; any
     * other policy only supersedes pending work of older generations of its path. Never blocks.
     */
    public void onCommitted(FileVersion committed) {
        onCommitted(committed, null, Optional.empty());
    }

    /**
     * As {@link #onCommitted(FileVersion)}, with the version's extents as the commit wrote them (the
     * pipeline's committed event carries them): the first upload attempt then reads no metadata,
     * since this worker's lane for the path already knows whether a newer generation exists.
     * {@code leasedUntil}: the commit leased the upload to this persister until then
     * ({@link io.wcache.schema.catalog.PersistQueue#leaseUploadsAtCommit}), so it starts without a
     * claim of its own.
     */
    public void onCommitted(FileVersion committed, List<Extent> extents, Optional<Instant> leasedUntil) {
        writesSeen.incrementAndGet();
        if (committed.state() != FileState.COMMITTED) {
            return;
        }
        if (committed.policy() == WritePolicy.WRITE_BACK && committed.persistState() != PersistState.PERSISTED) {
            Instant enqueued = committed.committedTime().orElse(clock.instant());
            submit(new PersistTask(committed.path(), TaskKind.UPLOAD, committed.fileId(), committed.generation(),
                    committed.size(), 0, enqueued, Optional.empty(), leasedUntil.map(u -> config.owner()), leasedUntil,
                    enqueued), extents == null ? null : new FileLayout(committed, extents), true);
        } else {
            // TRANSIENT keeps a pending UFS delete (the Catalog does too); WRITE_THROUGH replaced the object.
            supersede(committed.path(), committed.generation(), committed.policy() == WritePolicy.TRANSIENT);
        }
    }

    /** A path was deleted (fast path): its UFS object is deleted after any earlier operation. Never blocks. */
    public void onDeleted(Tombstone tombstone) {
        writesSeen.incrementAndGet();
        submit(new PersistTask(tombstone.path(), TaskKind.DELETE, tombstone.fileId(), tombstone.generation(), 0, 0,
                tombstone.deletedTime(), Optional.empty(), Optional.empty(), Optional.empty(), tombstone.deletedTime()));
    }

    /**
     * Runs {@code action} (a synchronous UFS write of {@code path}, for {@code WRITE_THROUGH} and
     * {@code NO_CACHE}) while no other UFS operation of that path runs: it waits for a running
     * upload or delete, and queued ones wait for it. A caller that then commits a version should
     * do so inside {@code action}, so an older queued upload sees the newer generation and is
     * skipped rather than landing after the synchronous write. The path's lease in the Catalog is
     * held meanwhile, so no other worker's persister runs an operation of the path either: the
     * write waits for one running there, and one queued there waits for the write.
     */
    public <T> T exclusive(NamespacePath path, Supplier<T> action) {
        Lane lane;
        lock.lock();
        try {
            lane = lanes.computeIfAbsent(path.toString(), p -> new Lane(path));
            lane.waiters++;
            try {
                while (lane.running != null || lane.exclusive) {
                    laneFreed.awaitUninterruptibly();
                }
            } finally {
                lane.waiters--;
            }
            lane.exclusive = true;
        } finally {
            lock.unlock();
        }
        try {
            PathLease taken = leasePath(path);
            try {
                return action.get();
            } finally {
                try {
                    catalog.persistQueue().releasePath(path, config.owner(), taken);
                } catch (RuntimeException e) {
                    // The lease runs out by itself; until then the path's next operation waits for it.
                    LOG.warn("event=path_lease_release_failed path={} error={}", path, e.toString());
                }
            }
        } finally {
            lock.lock();
            try {
                lane.exclusive = false;
                account(lane, -1);
                dispatch(lane);
                account(lane, +1);
                dropIfIdle(lane);
                laneFreed.signalAll();
            } finally {
                lock.unlock();
            }
        }
    }

    /**
     * Takes the path's lease for a synchronous write, waiting while another persister holds it
     * (each look a poll interval or the retry backoff apart, whichever is shorter; a holder the
     * membership says is gone loses it at once). Bounded by that holder's lease.
     */
    private PathLease leasePath(NamespacePath path) {
        int attempt = 0;
        while (true) {
            PathLease taken = catalog.persistQueue().leasePath(path, config.owner(), config.lease(), null);
            if (taken.kind() == PathLease.Kind.HELD && gone(taken.holder())) {
                LOG.info("event=persist_lease_taken_over path={} from={}", path, taken.holder());
                taken = catalog.persistQueue().leasePath(path, config.owner(), config.lease(), taken.holder());
            }
            if (taken.kind() != PathLease.Kind.HELD) {
                return taken;
            }
            heldBack.incrementAndGet();
            LOG.debug("event=sync_write_held_back path={} holder={}", path, taken.holder());
            try {
                Thread.sleep(heldDelay(++attempt).toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new WcacheException.Unavailable(path.toString(),
                        "interrupted while another worker's upload or delete of " + path + " ran", e);
            }
        }
    }

    /** How many synchronous writers wait for {@code path} in {@link #exclusive} now (observability, tests). */
    public int waitingWriters(NamespacePath path) {
        lock.lock();
        try {
            Lane lane = lanes.get(path.toString());
            return lane == null ? 0 : lane.waiters;
        } finally {
            lock.unlock();
        }
    }

    /**
     * A synchronous write replaced the path's UFS object out of band ({@code NO_CACHE}) and the
     * Catalog dropped what it held of the path: pending work of the path is obsolete, and what the
     * lane knew of generations is forgotten (the path's next version starts its own count). Call it
     * inside {@link #exclusive} for the path, so no operation of the path runs meanwhile.
     */
    public void replacedInUfs(NamespacePath path) {
        lock.lock();
        try {
            Lane lane = lanes.get(path.toString());
            if (lane == null) {
                return;
            }
            account(lane, -1);
            if (lane.next != null) {
                cancelRetry(lane);
                undefer(lane);
                lane.next = null;
                lane.nextLayout = null;
                superseded.incrementAndGet();
            }
            lane.highest = Long.MIN_VALUE;
            account(lane, +1);
            dropIfIdle(lane);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Hands a task to its path's lane; false if it is a duplicate or older than what the lane knows.
     * A fast-path task is dropped when too many paths are tracked (the Catalog keeps it); a
     * claimed one never is, since its lease keeps it from being claimed again for a while.
     */
    boolean submit(PersistTask task) {
        return submit(task, null);
    }

    private boolean submit(PersistTask task, FileLayout layout) {
        return submit(task, layout, false);
    }

    /**
     * {@code fromCommit}: a commit's own hand-off, dropped like any unclaimed task when the lanes
     * are full (the poller claims it once they shrink, its commit's lease being this persister's),
     * and whose commit's lease is trusted only on an idle lane: an older operation of the path that
     * this persister still runs or holds gives its lease back when it ends, and the lease it gives
     * back may be the one the commit wrote, so the new upload then claims its own.
     */
    private boolean submit(PersistTask task, FileLayout layout, boolean fromCommit) {
        lock.lock();
        try {
            if (closed) {
                return false;
            }
            String key = task.path().toString();
            Lane lane = lanes.get(key);
            if (lane == null) {
                if ((fromCommit || task.leaseOwner().isEmpty()) && lanes.size() >= config.maxTrackedPaths()) {
                    // The Catalog has the task; the poller claims it once the backlog shrinks.
                    dropped.incrementAndGet();
                    return false;
                }
                lane = new Lane(task.path());
                lanes.put(key, lane);
            } else if (fromCommit && task.leaseOwner().isPresent() && (lane.running != null || lane.next != null)) {
                task = task.withoutLease();
            }
            if (task.generation() <= lane.highest) {
                dropIfIdle(lane);
                return false;
            }
            account(lane, -1);
            lane.highest = task.generation();
            cancelRetry(lane);
            lane.next = task;
            lane.nextLayout = layout;
            dispatch(lane);
            account(lane, +1);
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** A newer generation that needs no upload exists: pending older work of the path is obsolete. */
    private void supersede(NamespacePath path, long generation, boolean keepDelete) {
        lock.lock();
        try {
            Lane lane = lanes.get(path.toString());
            if (lane == null || generation <= lane.highest) {
                return;
            }
            account(lane, -1);
            lane.highest = generation;
            if (lane.next != null && !(keepDelete && lane.next.kind() == TaskKind.DELETE)) {
                cancelRetry(lane);
                undefer(lane);
                lane.next = null;
                lane.nextLayout = null;
                superseded.incrementAndGet();
            }
            account(lane, +1);
            dropIfIdle(lane);
        } finally {
            lock.unlock();
        }
    }

    // ---------------------------------------------------------------- lanes (lock held)

    private void account(Lane lane, int sign) {
        if (lane.running != null) {
            if (lane.started) {
                inFlight += sign;
            } else {
                queued += sign;
            }
        }
        if (lane.next != null) {
            if (lane.backingOff) {
                retrying += sign;
            } else {
                queued += sign;
            }
        }
    }

    private void cancelRetry(Lane lane) {
        if (lane.retry != null) {
            lane.retry.cancel(false);
            lane.retry = null;
        }
        lane.backingOff = false;
    }

    /**
     * Starts the lane's next operation if nothing of the path runs and no synchronous writer waits,
     * unless it is an upload that waits for a pause in writes ({@link #defers}).
     */
    private void dispatch(Lane lane) {
        dispatch(lane, true);
    }

    private void dispatch(Lane lane, boolean mayDefer) {
        if (lane.running != null || lane.exclusive || lane.waiters > 0 || lane.next == null || lane.backingOff || closed) {
            return;
        }
        if (mayDefer && defers(lane)) {
            return;
        }
        undefer(lane);
        PersistTask task = lane.next;
        FileLayout layout = lane.nextLayout;
        lane.next = null;
        lane.nextLayout = null;
        lane.running = task;
        lane.started = false;
        uploads.execute(() -> run(lane, task, layout));
    }

    /**
     * Whether the lane's next operation, ready to start, waits for a pause in writes instead: an
     * upload handed over on the fast path, with its commit's lease or none (a task the poller
     * claimed keeps its lease busy, a delete costs little) while writes keep arriving, for at most
     * the longest wait since the lane began to wait, and only while the uploads already waiting hold
     * less than the byte bound. A burst of writes so has the cores and the disk to itself, and an
     * object overwritten meanwhile is uploaded once.
     */
    private boolean defers(Lane lane) {
        PersisterConfig.Deferral d = config.deferral();
        PersistTask t = lane.next;
        // A leased task that came with its layout is a commit's hand-off under the commit's lease.
        if (!d.enabled() || t.kind() != TaskKind.UPLOAD || (t.leaseOwner().isPresent() && lane.nextLayout == null)) {
            return false;
        }
        long now = System.nanoTime();
        if (!writesArriving(now, d) || pinnedPressure()) {
            return false;
        }
        if (lane.deferred) {
            if (now - lane.deferredSince >= d.max().toNanos()) {
                return false;
            }
            deferredBytes += t.size() - lane.deferredSize;
            lane.deferredSize = t.size();
            return true;
        }
        if (deferredBytes + t.size() > d.bytes()) {
            return false;
        }
        lane.deferred = true;
        lane.deferredSince = now;
        lane.deferredSize = t.size();
        deferredBytes += t.size();
        deferred.add(lane);
        scheduleDeferralCheck(lastActivityNanos + d.quiet().toNanos());
        return true;
    }

    /** Whether a write arrived within the last {@code quiet} (lock held). */
    private boolean writesArriving(long now, PersisterConfig.Deferral d) {
        long seen = writeActivity.getAsLong() + writesSeen.get();
        if (seen != lastActivity) {
            lastActivity = seen;
            lastActivityNanos = now;
        }
        return now - lastActivityNanos < d.quiet().toNanos();
    }

    /**
     * Whether half the pinned space is taken: waiting uploads would then hold space writes may need
     * soon (they are refused at the cap), so none waits.
     */
    private boolean pinnedPressure() {
        return pinnedInUse.getAsLong() >= pinnedCap / 2;
    }

    private void undefer(Lane lane) {
        if (lane.deferred) {
            lane.deferred = false;
            deferredBytes -= lane.deferredSize;
            lane.deferredSize = 0;
            deferred.remove(lane);
        }
    }

    private void scheduleDeferralCheck(long atNanos) {
        if (closed || (deferralCheck != null && deferralCheckAt <= atNanos)) {
            return;
        }
        if (deferralCheck != null) {
            deferralCheck.cancel(false);
        }
        deferralCheckAt = atNanos;
        deferralCheck = timers.schedule(this::checkDeferred, Math.max(0, atNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
    }

    /**
     * Starts the deferred uploads whose wait is over: all of them once writes have paused, else those
     * that began to wait the longest wait ago; then looks again when the next one's wait can end.
     */
    private void checkDeferred() {
        lock.lock();
        try {
            deferralCheck = null;
            if (closed || deferred.isEmpty()) {
                return;
            }
            PersisterConfig.Deferral d = config.deferral();
            long now = System.nanoTime();
            boolean arriving = writesArriving(now, d) && !pinnedPressure();
            long max = d.max().toNanos();
            List<Lane> due = new ArrayList<>();
            for (Lane lane : deferred) {
                if (arriving && now - lane.deferredSince < max) {
                    break; // the rest began to wait later
                }
                due.add(lane);
            }
            for (Lane lane : due) {
                account(lane, -1);
                dispatch(lane, false);
                account(lane, +1);
            }
            if (!deferred.isEmpty()) {
                long oldest = deferred.iterator().next().deferredSince;
                long next = arriving ? Math.min(lastActivityNanos + d.quiet().toNanos(), oldest + max)
                        : now + d.quiet().toNanos(); // lanes a synchronous writer holds
                scheduleDeferralCheck(next);
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Lets uploads wait for a pause in writes as measured by {@code activity}, a count that moves with
     * every write (the worker passes its write pipeline's), besides the commits and deletes this
     * persister is told of. Without it, only those count.
     */
    public void watchWrites(LongSupplier activity) {
        this.writeActivity = activity;
    }

    /**
     * Lets uploads wait only while less than half of the pinned space ({@code cap}) is taken, as
     * {@code inUse} reports it: past that, waiting uploads start and new ones do not wait.
     */
    public void watchPinned(LongSupplier inUse, long cap) {
        this.pinnedInUse = inUse;
        this.pinnedCap = cap;
    }

    private void dropIfIdle(Lane lane) {
        if (lane.idle()) {
            lanes.remove(lane.path.toString(), lane);
        }
    }

    // ---------------------------------------------------------------- running

    private void run(Lane lane, PersistTask task, FileLayout layout) {
        boolean stale;
        lock.lock();
        try {
            account(lane, -1);
            lane.started = true;
            account(lane, +1);
            // A newer commit or delete arrived while this waited for a thread: it replaces this one.
            // A delete is kept across a TRANSIENT commit (nothing will overwrite the object), so it
            // is stale only when newer work is queued behind it.
            stale = task.kind() == TaskKind.UPLOAD ? lane.highest > task.generation()
                    : lane.next != null && lane.next.generation() > task.generation();
        } finally {
            lock.unlock();
        }
        PersistTask retry = null;
        PersistTask current = task;
        boolean held = false;
        boolean settlesLater = false;
        try {
            if (stale) {
                skipSuperseded(task);
            } else {
                TaskClaim claim = leased(task);
                switch (claim.outcome()) {
                    case CLAIMED -> {
                        current = claim.task().orElseThrow();
                        PersistTask claimed = current;
                        // An upload's mark may be recorded after this thread moved on: the lane stays
                        // busy until then, and the mark's outcome (or failure) ends it.
                        settlesLater = perform(current, layout, failure -> finish(lane, task,
                                failure == null ? null : failed(claimed, failure), false));
                    }
                    case SUPERSEDED -> skipSuperseded(task);
                    case HELD -> {
                        held = true;
                        retry = heldRetry(task);
                    }
                }
            }
        } catch (RuntimeException e) {
            retry = failed(current, e);
        } catch (Error e) {
            retry = failed(current, new WcacheException.Unavailable(task.path().toString(), e.toString(), e));
            if (!(e instanceof AssertionError)) {
                throw e;
            }
        } finally {
            if (!settlesLater) {
                finish(lane, task, retry, held);
            }
        }
    }

    /**
     * The task under this persister's lease in the Catalog: claimed now, unless it came with one
     * (a task the poller claimed, valid for at least half a lease more). Every UFS operation runs
     * under its path's lease, so one started on another worker (an upload of an older version, a
     * delete) ends before this one starts; without it, an upload still running elsewhere could land
     * after this worker's delete and bring the object back. HELD: another persister holds the
     * lease; a holder the membership says is gone has its lease taken over.
     */
    private TaskClaim leased(PersistTask task) {
        Instant now = clock.instant();
        if (task.leaseOwner().filter(config.owner()::equals).isPresent()
                && task.leaseExpiry().filter(e -> e.isAfter(now.plus(config.lease().dividedBy(2)))).isPresent()) {
            return TaskClaim.claimed(task);
        }
        TaskClaim claim = claims.mark(task);
        if (claim.outcome() == TaskClaim.Outcome.HELD && gone(claim.holder())) {
            // Its holder died: whatever it ran ended with it.
            LOG.info("event=persist_lease_taken_over path={} generation={} from={}", task.path(), task.generation(),
                    claim.holder());
            claim = catalog.persistQueue().claim(task, config.owner(), config.lease(), claim.holder());
        }
        if (claim.outcome() == TaskClaim.Outcome.HELD) {
            heldBack.incrementAndGet();
            LOG.debug("event=persist_held_back path={} kind={} generation={} holder={} until={}", task.path(),
                    task.kind(), task.generation(), claim.holder(), claim.heldUntil());
        }
        return claim;
    }

    /**
     * Renews the leases of the operations running now (uploads, deletes and synchronous writes),
     * every third of a lease: an upload that outlives one lease still holds its path, so no other
     * worker's operation of it starts before it ends. A path whose lease was lost (a stall longer
     * than a lease, a holder judged dead) is logged; its operation's outcome is still decided by
     * the Catalog when it finishes.
     */
    private void renewLeases() {
        List<NamespacePath> running = new ArrayList<>();
        lock.lock();
        try {
            for (Lane lane : lanes.values()) {
                if ((lane.running != null && lane.started) || lane.exclusive) {
                    running.add(lane.path);
                }
            }
        } finally {
            lock.unlock();
        }
        if (running.isEmpty()) {
            return;
        }
        try {
            for (NamespacePath lost : catalog.persistQueue().renewLeases(running, config.owner(), config.lease())) {
                LOG.debug("event=persist_lease_not_renewed path={}", lost);
            }
        } catch (RuntimeException e) {
            LOG.warn("event=persist_lease_renewal_failed paths={} error={}", running.size(), e.toString());
        }
    }

    /** Whether the membership says worker {@code id} is gone (registered, its lease lapsed). */
    private boolean gone(String id) {
        try {
            return catalog.membership().member(id).map(m -> !m.alive()).orElse(false);
        } catch (RuntimeException e) {
            return false;
        }
    }

    /**
     * The same task again after a backoff, kept in memory only: the lease it waits for is
     * another persister's, so the Catalog's task (its attempts, its lease) is not touched. The
     * holder's finish makes the task due at once for the pollers too; whichever persister claims
     * it first runs it, and the other finds it superseded.
     */
    private PersistTask heldRetry(PersistTask task) {
        int attempt = task.attempts() + 1;
        return task.retried(attempt, clock.instant().plus(heldDelay(attempt)), task.lastError());
    }

    /**
     * How long an operation waits before it looks again at a lease another persister holds: the
     * retry backoff, at most a poll interval (a poller that knows the path leaves it to this retry).
     */
    private Duration heldDelay(int attempt) {
        Duration delay = config.backoff().delay(attempt, ThreadLocalRandom.current());
        return delay.compareTo(config.pollInterval()) < 0 ? delay : config.pollInterval();
    }

    private void finish(Lane lane, PersistTask task, PersistTask retry, boolean held) {
        lock.lock();
        try {
            account(lane, -1);
            lane.running = null;
            lane.started = false;
            // Remembered here, for what ran, not when an idle lane is dropped: a lane's highest
            // generation can be a TRANSIENT commit's, which keeps an older pending delete due.
            // A task held back by another persister's lease did not run.
            if (retry == null && !held) {
                finishedGenerations.merge(task.path().toString(), task.generation(), Math::max);
            }
            if (retry != null && lane.next == null && !closed) {
                lane.next = retry;
                lane.nextLayout = null;
                lane.backingOff = true;
                long delayMs = Math.max(0, retry.nextAttemptTime().toEpochMilli() - clock.millis());
                PersistTask waiting = retry;
                lane.retry = timers.schedule(() -> retryDue(lane, waiting), delayMs, TimeUnit.MILLISECONDS);
            }
            dispatch(lane);
            account(lane, +1);
            dropIfIdle(lane);
            laneFreed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private void retryDue(Lane lane, PersistTask task) {
        lock.lock();
        try {
            if (lane.next != task || !lane.backingOff) {
                return;
            }
            account(lane, -1);
            lane.backingOff = false;
            lane.retry = null;
            dispatch(lane);
            account(lane, +1);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Runs {@code task}'s object-store operation. True if an upload handed its mark over
     * ({@link PersistMarks#markThen}): {@code settle} then runs once the mark is decided, with its
     * failure or null, and nothing is settled here; false if everything is done on return (or it
     * threw).
     */
    private boolean perform(PersistTask task, FileLayout known, java.util.function.Consumer<RuntimeException> settle) {
        NamespacePath path = task.path();
        String key = UfsRouter.keyOf(path);
        if (task.kind() == TaskKind.DELETE) {
            // The lane's memory of newer generations is gone once it went idle, and another worker's
            // writes never reach it: only the Catalog can say this delete is still the path's state
            // (the tombstone of this generation: a newer WRITE_BACK or WRITE_THROUGH commit removes
            // it, a newer delete replaces it, a TRANSIENT commit keeps it).
            Optional<Tombstone> tomb = catalog.files().tombstone(task.path())
                    .filter(t -> t.generation() == task.generation());
            if (tomb.isEmpty()) {
                skipSuperseded(task);
                return false;
            }
            UnderFileSystem ufs = router.ufsFor(path);
            copyArchivesFirst(ufs, tomb.get().archiveFirst());
            transfer(() -> ufs.delete(key));
            marks.mark(task);
            deleted.incrementAndGet();
            rate.record(clock.millis(), 0);
            LOG.debug("event=ufs_deleted path={} generation={}", path, task.generation());
            return false;
        }
        // A retry or a claimed task re-reads the layout: extents may have moved, the path moved on.
        Optional<FileLayout> layout = known != null ? Optional.of(known) : catalog.files().layout(path);
        FileVersion f = layout.map(FileLayout::file).orElse(null);
        if (f == null || f.fileId() != task.fileId() || f.generation() != task.generation()) {
            skipSuperseded(task);
            return false;
        }
        if (f.persistState() == PersistState.PERSISTED) {
            // A late copy of the task (a retry already scheduled, a copy claimed or handed over):
            // another attempt uploaded this version and marked it, and uploading it again would
            // replace the object store's object for nothing.
            skipSuperseded(task);
            return false;
        }
        if (f.damaged()) {
            // Its cached bytes failed their checksum: nothing is uploaded and nothing in the UFS is
            // touched; the task is retried with backoff until a delete or a newer commit replaces it.
            throw new WcacheException.Corruption(path.toString(), "version " + f.fileId() + " of " + path
                    + " is damaged in the cache and cannot be persisted: " + f.damage());
        }
        List<Extent> extents = layout.get().extents();
        Optional<String> here = local.worker();
        if (here.isPresent() && !extents.isEmpty() && !extents.get(0).worker().equals(here.get())) {
            // The bytes are another worker's now (a replica holder took the version over from a dead
            // worker): its persister uploads it.
            handOver(task, extents.get(0).worker(), here.get());
            return false;
        }
        UnderFileSystem ufs = router.ufsFor(path);
        copyArchivesFirst(ufs, f.versioning().archiveFirst());
        if (!f.versioning().ufsSource().isEmpty()) {
            // A version of a versioned bucket made current again: the object store has its bytes
            // (at its archive key, or still at this key), so it is copied there rather than uploaded.
            uploadFromUfs(task, f, ufs, key, extents);
            return false;
        }
        // The pin keeps the version's bytes readable against the reader-pin sweep while the upload
        // reads them; the mark that follows reads none.
        long start;
        List<Extent> uploadedExtents;
        local.pin(f.fileId());
        try {
            LocalExtents.Leased leased;
            try {
                leased = local.lease(extents);
            } catch (WcacheException.NotFound moved) {
                // Compaction or eviction moved the extents since the layout was read: the Catalog has them now.
                layout = catalog.files().layout(path);
                if (layout.isEmpty() || layout.get().file().fileId() != f.fileId()) {
                    skipSuperseded(task);
                    return false;
                }
                extents = layout.get().extents();
                leased = local.lease(extents);
            }
            uploadedExtents = extents;
            start = System.nanoTime();
            try (LocalExtents.Leased reads = leased) {
                // The version's ETag is the MD5 of these bytes (unless it is a multipart ETag): the store
                // checks the bytes it receives against it, and the client does not hash them again.
                UploadSource source = new ExtentUploadSource(extents, f.size(), reads, UploadSource.md5OfEtag(f.etag()));
                transfer(() -> ufs.put(key, source, new PutOptions(f.contentType(), f.userMetadata(), f.standardHeaders())));
            }
        } finally {
            local.unpin(f.fileId());
        }
        long uploaded = System.nanoTime();
        Stages.record(Stage.UPLOAD_UFS, uploaded - start);
        // The object is in the store: this thread goes on to its next upload, and the mark is
        // recorded with the others that finish meanwhile; the path's lane waits for it.
        marks.markThen(task, (outcome, failure) -> {
            RuntimeException settled = failure;
            try {
                Stages.since(Stage.UPLOAD_MARK_PERSISTED, uploaded);
                if (failure == null) {
                    marked(task, f, uploadedExtents, outcome);
                }
            } catch (RuntimeException e) {
                settled = settled != null ? settled : e;
            } finally {
                settle.accept(settled);
            }
        });
        return true;
    }

    /** What follows an upload's mark: its bytes become evictable if it is the path's version, and the counts. */
    private void marked(PersistTask task, FileVersion f, List<Extent> extents, PersistOutcome outcome) {
        NamespacePath path = task.path();
        if (outcome == PersistOutcome.PERSISTED) {
            for (Extent e : extents) {
                try {
                    local.markPersisted(e);
                } catch (RuntimeException ex) {
                    // The Catalog already counts the bytes evictable; a restart restores regions from it.
                    LOG.warn("event=mark_evictable_failed path={} file_id={} offset={} error={}", path, e.fileId(), e.offset(), ex.toString());
                }
            }
            persisted.incrementAndGet();
            persistedBytes.addAndGet(f.size());
            rate.record(clock.millis(), f.size());
            LOG.debug("event=uploaded path={} generation={} size={}", path, task.generation(), f.size());
        } else {
            superseded.incrementAndGet();
            LOG.debug("event=upload_superseded path={} generation={}", path, task.generation());
        }
    }

    private void uploadFromUfs(PersistTask task, FileVersion f, UnderFileSystem ufs, String key, List<Extent> extents) {
        String source = f.versioning().ufsSource();
        if (!source.equals(key)) {
            transfer(() -> ufs.put(key, io.wcache.persister.ufs.UploadSource.ofUfs(ufs, source, f.size()),
                    new PutOptions(f.contentType(), f.userMetadata(), f.standardHeaders())));
        }
        if (catalog.persistQueue().markPersisted(task) == PersistOutcome.PERSISTED) {
            for (Extent e : extents) {
                try {
                    local.markPersisted(e);
                } catch (RuntimeException ex) {
                    LOG.warn("event=mark_evictable_failed path={} file_id={} offset={} error={}", task.path(), e.fileId(),
                            e.offset(), ex.toString());
                }
            }
            persisted.incrementAndGet();
            persistedBytes.addAndGet(f.size());
            LOG.debug("event=copied_in_ufs path={} generation={} source={}", task.path(), task.generation(), source);
        } else {
            superseded.incrementAndGet();
        }
    }

    /**
     * S3 bucket versioning: before this lane replaces or deletes its path's object-store object,
     * the archived versions whose bytes are only there (persisted while current, then superseded)
     * are copied to their archive keys. It runs in the path's lane, so the object is still the one
     * each of them was; one already copied (or deleted since) is skipped, so a retry repeats nothing.
     * A source that is gone marks that archived version damaged rather than blocking the lane.
     */
    private void copyArchivesFirst(UnderFileSystem ufs, List<String> archives) {
        for (String a : archives) {
            NamespacePath archive = NamespacePath.of(a);
            Optional<FileVersion> found = catalog.files().lookup(archive);
            if (found.isEmpty() || found.get().versioning().ufsSource().isEmpty()) {
                continue;
            }
            FileVersion v = found.get();
            String source = v.versioning().ufsSource();
            Optional<io.wcache.persister.ufs.UfsObject> head = ufs.head(source);
            if (head.isEmpty() || head.get().size() != v.size()) {
                String why = "archived version " + v.versionId() + " was not found in the object store at '" + source
                        + "' (" + (head.isEmpty() ? "missing" : head.get().size() + " bytes, not " + v.size()) + ")";
                LOG.warn("event=archive_source_missing path={} source={} detail={}", archive, source, why);
                catalog.files().archiveCopied(archive, v.fileId(), why);
                continue;
            }
            transfer(() -> ufs.put(UfsRouter.keyOf(archive), io.wcache.persister.ufs.UploadSource.ofUfs(ufs, source, v.size()),
                    new PutOptions(v.contentType(), v.userMetadata(), v.standardHeaders())));
            catalog.files().archiveCopied(archive, v.fileId(), "");
            LOG.debug("event=archived_from_ufs path={} source={}", archive, source);
        }
    }

    private void skipSuperseded(PersistTask task) {
        if (task.leaseOwner().isPresent()) {
            catalog.persistQueue().markPersisted(task); // not current: gives the lease back so the newer task is due at once
        }
        superseded.incrementAndGet();
        LOG.debug("event=persist_skipped reason=superseded path={} kind={} generation={}", task.path(), task.kind(), task.generation());
    }

    /** Records a failed attempt in the Catalog; the task to retry, or null if it was superseded meanwhile. */
    /** Gives {@code task} back to the queue due at once, for {@code holder}'s persister to claim. */
    private void handOver(PersistTask task, String holder, String here) {
        catalog.persistQueue().reschedule(task, clock.instant(), "held by " + holder + ", not " + here);
        LOG.info("event=persist_handed_over path={} generation={} holder={}", task.path(), task.generation(), holder);
    }

    private PersistTask failed(PersistTask attempted, RuntimeException e) {
        failedAttempts.incrementAndGet();
        // Only a lease of this persister's is given back: a task that came with another's (a retry
        // that found it running elsewhere) must leave that lease in place.
        PersistTask task = attempted.leaseOwner().filter(config.owner()::equals).isPresent() ? attempted
                : attempted.withoutLease();
        int attempt = task.attempts() + 1;
        Instant next = clock.instant().plus(config.backoff().delay(attempt, ThreadLocalRandom.current()));
        String error = e instanceof WcacheException w ? w.kind() + ": " + w.getMessage() : e.toString();
        warnLimited(task, attempt, next, error);
        try {
            Optional<PersistTask> updated = catalog.persistQueue().reschedule(task, next, error);
            if (updated.isEmpty()) {
                superseded.incrementAndGet();
                return null;
            }
            return updated.get();
        } catch (RuntimeException ce) {
            // Metadata is unavailable too: retry from memory; the durable task is still queued.
            return task.retried(attempt, next, Optional.of(error));
        }
    }

    /** One WARN per interval however many uploads fail (a UFS outage fails them all), DEBUG for each. */
    private void warnLimited(PersistTask task, int attempt, Instant next, String error) {
        long now = clock.millis();
        long last = lastWarnMs.get();
        if (now - last >= WARN_INTERVAL_MS && lastWarnMs.compareAndSet(last, now)) {
            LOG.warn("event=persist_failed path={} kind={} attempt={} next_attempt={} error=\"{}\" suppressed_since_last={}",
                    task.path(), task.kind(), attempt, next, error, suppressedWarns.getAndSet(0));
        } else {
            suppressedWarns.incrementAndGet();
            LOG.debug("event=persist_failed path={} kind={} attempt={} next_attempt={} error=\"{}\"",
                    task.path(), task.kind(), attempt, next, error);
        }
    }

    // ---------------------------------------------------------------- durable queue

    private void pollLoop() {
        while (!closed) {
            pollPassesBegun.incrementAndGet();
            try {
                boolean full = pollOnce();
                int ended = pollFailures.succeeded();
                if (ended > 0) {
                    LOG.info("event=persist_poll_recovered failed_polls={}", ended);
                }
                if (full) {
                    continue; // a full batch: there may be more right away
                }
            } catch (RuntimeException e) {
                // A lone failure (a claim that lost a conflict with an upload's mark) is repaired by the
                // next poll; only a run of them (metadata unavailable) is worth a user's attention.
                if (pollFailures.failed(clock.millis())) {
                    LOG.warn("event=persist_poll_failed consecutive={} error={}", pollFailures.consecutive(), e.toString());
                } else {
                    LOG.debug("event=persist_poll_failed consecutive={} error={}", pollFailures.consecutive(), e.toString());
                }
            } finally {
                pollPassesEnded.incrementAndGet();
            }
            try {
                if (pollNow.tryAcquire(config.pollInterval().toMillis(), TimeUnit.MILLISECONDS)) {
                    pollNow.drainPermits();
                }
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /**
     * Claims due tasks when the Catalog has any this persister does not already know (a restart,
     * dropped events, another worker's expired lease). True when a full batch was claimed.
     */
    private boolean pollOnce() {
        Instant now = clock.instant();
        List<PersistTask> due = catalog.persistQueue().dueTasks(now, Math.min(DUE_PEEK, config.claimBatch()));
        boolean first = firstPass;
        firstPass = false;
        if (due.isEmpty() || closed) {
            return false;
        }
        // A task enqueued within the last poll interval is normally still on its way here from the
        // write path (onCommitted runs after the commit): claiming it would race that upload's
        // completion in the Catalog, conflict, and under sustained writes exhaust the claim's
        // retries. It counts as unknown once it is older; the first pass after start claims all.
        Instant settled = first ? now : now.minus(config.pollInterval());
        boolean unknown;
        lock.lock();
        try {
            if (lanes.size() >= config.maxTrackedPaths()) {
                return false; // claim once the backlog in memory shrinks
            }
            unknown = due.stream().anyMatch(t -> unknown(t, settled));
        } finally {
            lock.unlock();
        }
        if (!unknown) {
            return false;
        }
        // Only what is still unknown when the claim looks: a task uploading here meanwhile would be
        // claimed in vain, and the claim would conflict with that upload's mark.
        List<PersistTask> claimed = catalog.persistQueue().claimTasks(config.owner(), config.lease(), config.claimBatch(),
                local.worker().orElse(null), t -> {
                    lock.lock();
                    try {
                        return unknown(t, settled);
                    } finally {
                        lock.unlock();
                    }
                });
        int taken = 0;
        for (PersistTask t : claimed) {
            if (submit(t)) {
                taken++;
            }
        }
        LOG.debug("event=persist_claimed claimed={} new={}", claimed.size(), taken);
        return claimed.size() >= config.claimBatch();
    }

    /**
     * Whether {@code t} is work no lane of this persister knows (a dropped hand-off, a restart,
     * another worker's expired lease) and not new enough to be still on its way here. Lock held.
     */
    private boolean unknown(PersistTask t, Instant settled) {
        String p = t.path().toString();
        Lane lane = lanes.get(p);
        Long finished = finishedGenerations.get(p);
        return (lane == null || lane.highest < t.generation()) && (finished == null || finished < t.generation())
                && !t.enqueuedTime().isAfter(settled);
    }

    /** How many operations found another persister's lease on their path and waited for it to end. */
    public long heldBack() {
        return heldBack.get();
    }

    /** Whether a poll would claim {@code t} now, however recently it was queued (tests). */
    boolean wouldClaim(PersistTask t) {
        lock.lock();
        try {
            return unknown(t, Instant.MAX);
        } finally {
            lock.unlock();
        }
    }

    /** Asks the poller to look at the durable queue now instead of at its next interval. */
    public void pollDurableQueue() {
        pollNow.release();
    }

    /**
     * Catalog transactions that marked finished tasks so far, and the tasks they marked: uploads
     * finishing together share one ({@link PersistMarks}). For benchmarks and tests.
     */
    public MarkCounts markCounts() {
        return new MarkCounts(marks.transactions(), marks.marks());
    }

    /** See {@link #markCounts()}. */
    public record MarkCounts(long transactions, long tasks) {
    }

    /**
     * Catalog transactions that claimed tasks for operations about to start, and the tasks they
     * claimed (an upload its commit leased needs none). For benchmarks and tests.
     */
    public MarkCounts claimCounts() {
        return new MarkCounts(claims.transactions(), claims.marks());
    }

    /** Passes over the durable queue the poller has begun. */
    public long pollPassesBegun() {
        return pollPassesBegun.get();
    }

    /** Passes over the durable queue the poller has finished. */
    public long pollPassesEnded() {
        return pollPassesEnded.get();
    }

    // ---------------------------------------------------------------- observation

    public PersistStats stats() {
        long now = clock.millis();
        int q;
        int f;
        int r;
        long oldest = Long.MAX_VALUE;
        long bytes = 0;
        lock.lock();
        try {
            q = queued;
            f = inFlight;
            r = retrying;
            for (Lane lane : lanes.values()) {
                for (PersistTask t : new PersistTask[] {lane.running, lane.next}) {
                    if (t != null) {
                        oldest = Math.min(oldest, t.enqueuedTime().toEpochMilli());
                        if (t.kind() == TaskKind.UPLOAD) {
                            bytes += t.size();
                        }
                    }
                }
            }
        } finally {
            lock.unlock();
        }
        double[] rates = rate.rates(now);
        Duration age = oldest == Long.MAX_VALUE ? Duration.ZERO : Duration.ofMillis(Math.max(0, now - oldest));
        return new PersistStats(q, f, r, failedAttempts.get(), persisted.get(), deleted.get(), superseded.get(),
                dropped.get(), age, bytes, rates[0], rates[1], persistedBytes.get());
    }

    /** The Catalog's pending tasks in path order, at most {@code limit}, with what this persister is doing with each. */
    public List<PendingPersist> pending(int limit) {
        List<PersistTask> tasks = catalog.persistQueue().pendingTasks(limit);
        List<PendingPersist> rows = new ArrayList<>(tasks.size());
        lock.lock();
        try {
            for (PersistTask t : tasks) {
                Lane lane = lanes.get(t.path().toString());
                PendingPersist.State state = PendingPersist.State.DURABLE;
                if (lane != null && lane.running != null && lane.running.generation() == t.generation()) {
                    state = lane.started ? PendingPersist.State.IN_FLIGHT : PendingPersist.State.QUEUED;
                } else if (lane != null && lane.next != null && lane.next.generation() == t.generation()) {
                    state = lane.backingOff ? PendingPersist.State.RETRYING
                            : lane.deferred ? PendingPersist.State.DEFERRED : PendingPersist.State.QUEUED;
                }
                rows.add(new PendingPersist(t.path(), t.kind(), t.generation(), t.size(), t.attempts(),
                        t.nextAttemptTime(), t.lastError(), t.enqueuedTime(), t.leaseOwner(), state));
            }
        } finally {
            lock.unlock();
        }
        return rows;
    }

    /**
     * Waits until nothing is pending here or in the Catalog's persist queue; false on timeout.
     * For tests, benchmarks and an orderly drain before shutdown.
     */
    public boolean awaitDrained(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            boolean empty;
            lock.lock();
            try {
                empty = lanes.isEmpty();
            } finally {
                lock.unlock();
            }
            if (empty && catalog.persistQueue().pendingTasks(1).isEmpty()) {
                return true;
            }
            Thread.sleep(20);
        }
        return false;
    }

    /**
     * Waits until every task of the Catalog's persist queue that is due now has been attempted at
     * least once since: uploaded or deleted, found superseded, or failed and rescheduled (tasks
     * waiting out a backoff are not waited for). False on timeout. Unlike {@link #awaitDrained} it
     * ends while tasks keep failing (a UFS outage, a damaged version). For tests and an orderly
     * drain; the persister must be started.
     */
    public boolean awaitAttempted(Duration timeout) throws InterruptedException {
        Map<String, PersistTask> before = new HashMap<>();
        Instant now = clock.instant();
        for (PersistTask t : catalog.persistQueue().pendingTasks(config.maxTrackedPaths())) {
            if (!t.nextAttemptTime().isAfter(now)) {
                before.put(t.path().toString(), t);
            }
        }
        pollDurableQueue();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            boolean attempted = true;
            for (PersistTask t : catalog.persistQueue().pendingTasks(config.maxTrackedPaths())) {
                PersistTask b = before.get(t.path().toString());
                if (b != null && b.generation() == t.generation() && b.attempts() == t.attempts()) {
                    attempted = false;
                    break;
                }
            }
            // A claim changes a task's attempts before the poller hands it to a lane: a pass still
            // under way may hold claimed tasks that are in neither the queue's old state nor a lane.
            if (attempted && noneRunning() && !pollerMidPass()) {
                return true;
            }
            Thread.sleep(20);
        }
        return false;
    }

    /** Whether the poller is between claiming tasks and handing them to their lanes. */
    private boolean pollerMidPass() {
        long ended = pollPassesEnded.get();
        return pollPassesBegun.get() != ended;
    }

    /** Whether no operation is handed to the upload pool (each one's counters are final once it is not). */
    private boolean noneRunning() {
        lock.lock();
        try {
            return lanes.values().stream().allMatch(l -> l.running == null);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Stops polling and retrying and waits briefly for running operations; whatever has not
     * finished stays in the Catalog's queue for the next start.
     */
    @Override
    public void close() {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            laneFreed.signalAll();
        } finally {
            lock.unlock();
        }
        poller.interrupt();
        timers.shutdownNow();
        uploads.shutdown();
        try {
            if (started) {
                poller.join(5_000);
            }
            if (!uploads.awaitTermination(10, TimeUnit.SECONDS)) {
                uploads.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            uploads.shutdownNow();
        }
        LOG.info("event=persister_stopped owner={} persisted={} deleted={} failed_attempts={}",
                config.owner(), persisted.get(), deleted.get(), failedAttempts.get());
    }
}
