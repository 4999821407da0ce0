package io.wcache.persister.async;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import jnr.ffi.LibraryLoader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the calling thread in Linux's {@code SCHED_IDLE} scheduling class for the length of a call.
 * A thread there runs only on a core no other thread wants, and any waking request thread preempts
 * it at once; a nice 10 thread, by contrast, keeps its core until the scheduler's wake-up
 * granularity has passed. An upload's transfer to the object store is background work, so the next
 * acknowledged write should not wait behind it.
 *
 * <p>Only the transfer runs there, not the upload thread's whole life: a thread in the idle class
 * that holds a lock others need (the metadata engine's commit lock, while it marks its upload
 * persisted) is set aside whenever another thread wants the core, and a thread it starts (a pool
 * growing on demand) would inherit the class for good. The switch is one {@code sched_setscheduler}
 * system call each way, through jnr-ffi. Any thread may enter the idle class, and return from it
 * within its nice limit, without privileges. Where the call is not available (not Linux) the thread
 * keeps its priority and one warning says so.
 */
public final class IdleScheduling {

    private static final Logger LOG = LoggerFactory.getLogger(IdleScheduling.class);
    // Compile-time constants: the probe's thread reads them without waiting for this class's initialization.
    static final int SCHED_OTHER = 0;
    /** The policy number of {@code SCHED_IDLE}, also as shown in {@code /proc/.../stat}. */
    static final int SCHED_IDLE = 5;

    /** The one libc call used. */
    public interface LibC {
        int sched_setscheduler(int pid, int policy, int[] param);
    }

    private static final LibC LIBC = load();

    private IdleScheduling() {
    }

    private static LibC load() {
        try {
            LibC libc = LibraryLoader.create(LibC.class).failImmediately().load("c");
            // Probe on a thread of its own: into the idle class and back. Without privileges a
            // thread may only come back when its nice limit (RLIMIT_NICE) allows its nice value,
            // and a thread that cannot come back must never go.
            // (A nested class, not a lambda: a lambda is a method of this class, which the probe's
            // thread could not run before this class's initialization, which waits for it, ends.)
            Probe probe = new Probe(libc);
            Thread thread = new Thread(probe, "wcache-sched-probe");
            thread.setDaemon(true);
            thread.start();
            thread.join(10_000);
            int[] result = probe.result;
            if (result[0] != 0 || result[1] != 0) {
                warn("a thread could not " + (result[0] != 0 ? "enter" : "leave")
                        + " the idle class (leaving it needs root, CAP_SYS_NICE or a higher RLIMIT_NICE)");
                return null;
            }
            return libc;
        } catch (Throwable e) {
            warn("libc's sched_setscheduler could not be loaded (" + e + ")");
            return null;
        }
    }

    private static final class Probe implements Runnable {
        private final LibC libc;
        private final int[] result = {-1, -1};

        Probe(LibC libc) {
            this.libc = libc;
        }

        @Override
        public void run() {
            result[0] = libc.sched_setscheduler(0, SCHED_IDLE, new int[] {0});
            result[1] = libc.sched_setscheduler(0, SCHED_OTHER, new int[] {0});
        }
    }

    /** Whether the calling thread can be moved between classes here. */
    static boolean available() {
        return LIBC != null;
    }

    /** Runs {@code call} with the calling thread in the idle class, then returns it to the normal one. */
    public static void during(Runnable call) {
        boolean idle = set(SCHED_IDLE);
        try {
            call.run();
        } finally {
            if (idle) {
                set(SCHED_OTHER);
            }
        }
    }

    /**
     * Puts the calling thread in the normal class: for a pool's thread that a thread in the idle
     * class may have started (it inherited the class), before it serves anybody.
     */
    public static void leave() {
        if (LIBC != null) {
            set(SCHED_OTHER);
        }
    }

    private static boolean set(int policy) {
        return LIBC != null && LIBC.sched_setscheduler(0, policy, new int[] {0}) == 0;
    }

    /** The scheduling policy of the calling thread (field 41 of its stat), or -1 if unknown. */
    static int currentPolicy() {
        try {
            String stat = Files.readString(Path.of("/proc/thread-self/stat"));
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Integer.parseInt(fields[41 - 3]);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    private static void warn(String why) {
        LOG.warn("event=idle_scheduling_unavailable reason=\"{}\" next=\"uploads keep the lowest Java priority;"
                + " set write.cache.async.persist.idle.priority=false to silence this\"", why);
    }
}
