package io.wcache.worker.cluster;

import java.util.List;

/**
 * What the admin API may do to the workers of a one-process cluster ({@code wcache serve
 * --workers N}): crash-stop one in place and start it again from its directory. A worker running
 * alone has none.
 */
public interface ClusterControl {

    /** The names of the cluster's workers, {@code worker-0} first. */
    List<String> workerNames();

    /** Whether the named worker is running in this process. */
    boolean running(String name);

    /**
     * Crash-stops the named worker (see {@link io.wcache.worker.Worker#crashStop()}). Fails with
     * {@code NotFound} for an unknown name and {@code Conflict} if it is not running.
     */
    void kill(String name);

    /** Starts the named worker again from its directory; {@code Conflict} if it is running. */
    void start(String name);
}
