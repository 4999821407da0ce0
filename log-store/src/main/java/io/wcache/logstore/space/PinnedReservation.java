package io.wcache.logstore.space;

/**
 * Pinned bytes set aside for a write before it is accepted. Appends of pinned chunks consume it;
 * {@link #close()} returns what was not consumed (an aborted or shorter write). Closing twice is
 * harmless. Thread-safe, though one write normally owns it.
 */
public final class PinnedReservation implements AutoCloseable {

    private final SpaceLedger ledger;
    private long remaining;
    private boolean closed;

    PinnedReservation(SpaceLedger ledger, long bytes) {
        this.ledger = ledger;
        this.remaining = bytes;
    }

    /** Reserved bytes not yet consumed by appends. */
    public synchronized long remaining() {
        return remaining;
    }

    /** Whether the unconsumed remainder has been returned. */
    public synchronized boolean isClosed() {
        return closed;
    }

    /** Takes up to {@code n} bytes from this reservation; returns how many it took. */
    synchronized long take(long n) {
        long taken = Math.min(n, remaining);
        remaining -= taken;
        return taken;
    }

    /** Puts back bytes an append took but did not use (the append failed). */
    synchronized void giveBack(long n) {
        if (closed) {
            ledger.unreserve(n);
        } else {
            remaining += n;
        }
    }

    SpaceLedger ledger() {
        return ledger;
    }

    @Override
    public void close() {
        long back;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            back = remaining;
            remaining = 0;
        }
        ledger.unreserve(back);
    }
}
