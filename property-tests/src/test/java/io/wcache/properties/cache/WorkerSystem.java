package io.wcache.properties.cache;

import static org.assertj.core.api.Assertions.assertThat;

import io.wcache.persister.testing.EmbeddedS3Server;
import io.wcache.persister.ufs.PutOptions;
import io.wcache.persister.ufs.UfsListing;
import io.wcache.persister.ufs.UfsObject;
import io.wcache.persister.ufs.UnderFileSystem;
import io.wcache.persister.ufs.UploadSource;
import io.wcache.core.policy.WritePolicy;
import io.wcache.persister.testing.TempDirs;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The system under test of one try: a worker in a child JVM over its own directory, the shared
 * embedded S3 server (s3proxy) as its UFS with a bucket of its own, and the {@link Model} it is
 * compared with. Outages stop and restart the S3 server; crashes SIGKILL the child.
 */
final class WorkerSystem implements AutoCloseable {

    /** {@code -Dwcache.trace=true} prints each command's duration and reply to stderr. */
    static final boolean TRACE = Boolean.getBoolean("wcache.trace");
    static final Duration COMMAND = Duration.ofSeconds(60);
    private static final AtomicInteger BUCKETS = new AtomicInteger();

    final EmbeddedS3Server s3;
    final Model model = new Model();
    final Path root;
    final String bucket;
    private ChildWorker child;
    private S3Route s3Route;
    private int generation;

    WorkerSystem(EmbeddedS3Server s3) {
        this.s3 = s3;
        this.root = TempDirs.create("worker-prop");
        this.bucket = "ufs-" + ProcessHandle.current().pid() + "-" + BUCKETS.incrementAndGet();
        s3.createBucket(bucket);
        try (UnderFileSystem ufs = ufs()) {
            for (String k : new String[] {"ro/a", "ro/c/d"}) {
                Model.Version v = new Model.Version(k.hashCode() & 0xffff, 1000 + k.length(), WritePolicy.READ_ONLY);
                ufs.put(k, UploadSource.ofBytes(v.bytes()), PutOptions.DEFAULT);
                model.readOnly.put(k, v);
            }
        } catch (Exception e) {
            throw new AssertionError("cannot seed the UFS", e);
        }
        startChild();
    }

    UnderFileSystem ufs() {
        return UnderFileSystem.open(URI.create("s3://" + bucket + "/data"), s3.ufsOptions());
    }

    private void startChild() {
        long t0 = System.nanoTime();
        child = ChildWorker.start(root, s3.endpoint().toString(), EmbeddedS3Server.ACCESS_KEY,
                EmbeddedS3Server.SECRET_KEY, bucket, generation++);
        if (s3Route != null) {
            s3Route.close();
        }
        s3Route = new S3Route(child.s3Port);
        if (TRACE) {
            System.err.printf("step=START ms=%d%n", (System.nanoTime() - t0) / 1_000_000);
        }
        // Path rules live in metadata: set once, they survive restarts.
        if (generation == 1) {
            for (String p : Model.PREFIXES) {
                WritePolicy policy = p.equals("flip") ? model.flipPolicy : model.policyOf(p + "/x");
                expectOk(send("POLICY " + p + " " + policy));
            }
        }
    }

    String send(String command) {
        return send(command, false);
    }

    /** Sends a command to the child directly, or through its S3 endpoint with the AWS SDK. */
    String send(String command, boolean viaS3) {
        long t0 = System.nanoTime();
        String r = viaS3 ? s3Route.execute(command.split(" ")) : child.send(command, COMMAND);
        if (TRACE) {
            System.err.printf("step=%s%s ms=%d reply=%s%n", viaS3 ? "S3:" : "", command.split(" ")[0], (System.nanoTime() - t0) / 1_000_000,
                    r.length() > 80 ? r.substring(0, 80) : r);
        }
        return r;
    }

    static String expectOk(String reply) {
        assertThat(reply).startsWith("OK");
        return reply;
    }

    /** SIGKILL the worker's JVM and start a new one on the same directories. */
    void crashAndRestart() {
        child.kill();
        startChild();
    }

    /** The worker's cache directory (its segment files). */
    Path cacheDir() {
        return root.resolve("cache");
    }

    /** Something done to the worker's files while it is stopped. */
    interface WhileStopped {
        void run() throws Exception;
    }

    /** Stops the worker cleanly, runs {@code whileStopped} on its files, and starts it again. */
    void stopAndRestart(WhileStopped whileStopped) {
        child.close();
        try {
            whileStopped.run();
        } catch (Exception e) {
            throw new AssertionError("cannot change the stopped worker's files", e);
        }
        startChild();
    }

    /** Starts a write and kills the worker while it may still be running. */
    void crashDuringPut(String key, int size, long seed, int delayMillis) {
        String r = send("PUTASYNC " + key + " " + size + " " + seed);
        assertThat(r).isEqualTo("STARTED");
        try {
            Thread.sleep(delayMillis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        crashAndRestart();
    }

    /** The UFS's objects under the mount, key -> ETag. */
    Map<String, String> ufsObjects() {
        Map<String, String> out = new TreeMap<>();
        try (UnderFileSystem ufs = ufs()) {
            String token = null;
            do {
                UfsListing page = ufs.list("", "", token, 1000);
                for (UfsObject o : page.objects()) {
                    out.put(o.key(), o.etag());
                }
                token = page.nextContinuation();
            } while (token != null);
        } catch (Exception e) {
            throw new AssertionError("cannot list the UFS", e);
        }
        return out;
    }

    @Override
    public String toString() {
        return model.toString();
    }

    String logTail() {
        return child.logTail();
    }

    @Override
    public void close() {
        try {
            if (model.ufsDown) {
                s3.restart();
                model.ufsDown = false;
            }
        } catch (Exception e) {
            throw new AssertionError("cannot restart the S3 server", e);
        } finally {
            if (s3Route != null) {
                s3Route.close();
            }
            if (child != null) {
                child.close();
            }
            TempDirs.delete(root);
        }
    }
}
