package io.wcache.pipeline;

import com.lmax.disruptor.AlertException;
import com.lmax.disruptor.Sequence;
import com.lmax.disruptor.SequenceBarrier;
import com.lmax.disruptor.TimeoutException;
import com.lmax.disruptor.WaitStrategy;
import java.util.concurrent.locks.LockSupport;

/**
 * Blocks on the ring's cursor like Disruptor's {@code BlockingWaitStrategy}, but waits for the
 * previous handler (the index handler behind the journal's fsync, the completion handler behind
 * the Catalog commit) by spinning briefly, then yielding, then parking. Disruptor's blocking
 * strategy busy-spins on that dependency, so each later handler burned a whole core for the
 * milliseconds an fsync or a Catalog commit takes; on a small machine that core is the one the
 * network threads and the commit thread need.
 */
final class ParkingWaitStrategy implements WaitStrategy {

    private static final int SPINS = 100;
    private static final int YIELDS = 100;
    // Linux parks for at least ~50 µs (timer slack); the stages waited on take milliseconds. An
    // interrupt only ends one park early: shutdown arrives as an alert (checkAlert), as in Disruptor.
    private static final long PARK_NANOS = 20_000;

    // How long a handler waits for the ring before its onTimeout runs.
    static final long IDLE_MILLIS = 20;

    private final Object mutex = new Object();

    @Override
    public long waitFor(long sequence, Sequence cursor, Sequence dependentSequence, SequenceBarrier barrier)
            throws AlertException, InterruptedException, TimeoutException {
        if (cursor.get() < sequence) {
            synchronized (mutex) {
                while (cursor.get() < sequence) {
                    barrier.checkAlert();
                    mutex.wait(IDLE_MILLIS);
                    if (cursor.get() < sequence) {
                        // Idle for a while: the handler's onTimeout runs (the index stage records
                        // sync confirmations no batch carried), then the processor waits again.
                        throw TimeoutException.INSTANCE;
                    }
                }
            }
        }
        long available;
        int tries = 0;
        while ((available = dependentSequence.get()) < sequence) {
            barrier.checkAlert();
            if (tries < SPINS) {
                Thread.onSpinWait();
                tries++;
            } else if (tries < SPINS + YIELDS) {
                Thread.yield();
                tries++;
            } else {
                LockSupport.parkNanos(PARK_NANOS);
            }
        }
        return available;
    }

    @Override
    public void signalAllWhenBlocking() {
        synchronized (mutex) {
            mutex.notifyAll();
        }
    }
}
