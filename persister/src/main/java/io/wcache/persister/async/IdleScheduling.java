package io.wcache.persister.async;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves the calling thread into Linux's {@code SCHED_IDLE} scheduling class. A thread there runs
 * only on a core no other thread wants, and any waking request thread preempts it at once; a
 * nice 10 thread, by contrast, keeps its core until the scheduler's wake-up granularity has
 * passed. Uploads are background work, so the next acknowledged write should not wait behind one.
 *
 * <p>The JVM has no call for it, so {@code chrt --idle -p 0 <tid>} does it, once per thread, with
 * the thread's id read from {@code /proc/thread-self}. Any thread may enter the idle class
 * without privileges. Where that cannot be done (not Linux, no {@code chrt}) the thread keeps its
 * priority and one warning says so.
 */
final class IdleScheduling {

    private static final Logger LOG = LoggerFactory.getLogger(IdleScheduling.class);
    private static final Path THREAD_SELF = Path.of("/proc/thread-self");
    /** The policy number of {@code SCHED_IDLE} in {@code /proc/.../stat}. */
    static final int SCHED_IDLE = 5;
    private static final AtomicBoolean WARNED = new AtomicBoolean();

    private IdleScheduling() {
    }

    /** Puts the calling thread in the idle class; whether it is there now. */
    static boolean enter() {
        String tid;
        try {
            tid = Files.readSymbolicLink(THREAD_SELF).getFileName().toString();
        } catch (IOException | UnsupportedOperationException e) {
            warnOnce("no /proc/thread-self (" + e + ")");
            return false;
        }
        try {
            Process chrt = new ProcessBuilder("chrt", "--idle", "-p", "0", tid)
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!chrt.waitFor(10, TimeUnit.SECONDS)) {
                chrt.destroyForcibly();
                warnOnce("chrt did not finish within 10 s");
                return false;
            }
            if (chrt.exitValue() != 0) {
                warnOnce("chrt exited with " + chrt.exitValue());
                return false;
            }
            return true;
        } catch (IOException e) {
            warnOnce("chrt could not be run (" + e.getMessage() + "); install util-linux");
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** The scheduling policy of the calling thread (field 41 of its stat), or -1 if unknown. */
    static int currentPolicy() {
        try {
            String stat = Files.readString(THREAD_SELF.resolve("stat"));
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Integer.parseInt(fields[41 - 3]);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    private static void warnOnce(String why) {
        if (WARNED.compareAndSet(false, true)) {
            LOG.warn("event=idle_scheduling_unavailable reason=\"{}\" next=\"uploads keep the lowest Java priority;"
                    + " set write.cache.async.persist.idle.priority=false to silence this\"", why);
        }
    }
}
