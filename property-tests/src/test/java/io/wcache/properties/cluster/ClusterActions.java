package io.wcache.properties.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.wcache.core.path.NamespacePath;
import io.wcache.properties.cache.Bodies;
import io.wcache.schema.catalog.Extent;
import io.wcache.schema.catalog.PathStatus;
import java.util.Set;
import java.util.TreeSet;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.stateful.Action;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * The actions of the cluster property. Each is a record whose {@code toString()} reads as a step,
 * so a shrunk failure reads as a script; each runs through one worker's S3 endpoint (AWS SDK v2),
 * checks the answer against the model and updates it.
 */
final class ClusterActions {

    private ClusterActions() {
    }

    /** An acknowledged body ({@link Bodies}) and the workers holding its bytes when it was acknowledged. */
    record Version(long seed, int size, Set<String> holders) {
        String md5() {
            return Bodies.md5(Bodies.bytes(seed, size));
        }

        @Override
        public String toString() {
            return "v" + seed + "(" + size + "B on " + holders + ")";
        }
    }

    static NamespacePath path(String key) {
        return NamespacePath.of("/" + ClusterSystem.BUCKET + "/" + key);
    }

    /** The workers the Catalog says hold the bytes of the key's committed version. */
    static Set<String> holders(ClusterSystem s, String key) {
        int any = 0;
        while (!s.running(any)) {
            any++;
        }
        PathStatus st = s.worker(any).catalog().files().status(path(key));
        assertThat(st).as("%s is committed after its PUT was acknowledged", key).isInstanceOf(PathStatus.Live.class);
        Set<String> out = new TreeSet<>();
        for (Extent e : ((PathStatus.Live) st).layout().extents()) {
            out.add(e.worker());
        }
        return out;
    }

    /**
     * Reads {@code key} through worker {@code w} and checks it against the model: the acknowledged
     * body, 404 for an absent key, or 503 naming a worker that holds the bytes and is down (only
     * while it is down). Never 404 for an acknowledged key, never another version.
     */
    static void checkRead(ClusterSystem s, int w, String key) {
        Version expected = s.model.get(key);
        String what = key + " through " + ClusterSystem.name(w) + " (model " + expected + ", down " + s.down + ")";
        byte[] got;
        try {
            got = s.client(w).getObjectAsBytes(b -> b.bucket(ClusterSystem.BUCKET).key(key)).asByteArray();
        } catch (S3Exception e) {
            String msg = e.awsErrorDetails() == null ? e.getMessage() : e.awsErrorDetails().errorMessage();
            Statistics.label("reads").collect(e.statusCode() + (s.down.isEmpty() ? " all up" : " some down"));
            switch (e.statusCode()) {
                case 404 -> assertThat(expected).as("404 for an acknowledged object: %s", what).isNull();
                case 503 -> {
                    assertThat(expected).as("503 for an absent object: %s", what).isNotNull();
                    boolean namesDeadHolder = expected.holders().stream()
                            .anyMatch(h -> msg.contains(h) && s.down.contains(Integer.parseInt(h.substring("worker-".length()))));
                    assertThat(namesDeadHolder).as("503 '%s' names a holder that is down: %s", msg, what).isTrue();
                }
                default -> fail("unexpected %d '%s' reading %s", e.statusCode(), msg, what);
            }
            return;
        }
        Statistics.label("reads").collect("200" + (s.down.isEmpty() ? " all up" : " some down"));
        assertThat(expected).as("an absent object was read: %s", what).isNotNull();
        assertThat(got.length).as("size of %s", what).isEqualTo(expected.size());
        assertThat(Bodies.md5(got)).as("body of %s", what).isEqualTo(expected.md5());
    }

    record Put(String key, int size, long seed, int worker) implements Action<ClusterSystem> {
        @Override
        public boolean precondition(ClusterSystem s) {
            return s.running(worker);
        }

        @Override
        public ClusterSystem run(ClusterSystem s) {
            String etag = s.client(worker).putObject(b -> b.bucket(ClusterSystem.BUCKET).key(key),
                    RequestBody.fromBytes(Bodies.bytes(seed, size))).eTag().replace("\"", "");
            Version v = new Version(seed, size, Set.of());
            assertThat(etag).as("ETag of %s", this).isEqualTo(v.md5());
            s.model.put(key, new Version(seed, size, holders(s, key)));
            return s;
        }

        @Override
        public String toString() {
            return "put " + key + " " + size + "B seed=" + seed + " via " + ClusterSystem.name(worker);
        }
    }

    record Get(String key, int worker) implements Action<ClusterSystem> {
        @Override
        public boolean precondition(ClusterSystem s) {
            return s.running(worker);
        }

        @Override
        public ClusterSystem run(ClusterSystem s) {
            checkRead(s, worker, key);
            return s;
        }

        @Override
        public String toString() {
            return "get " + key + " via " + ClusterSystem.name(worker);
        }
    }

    /** Reads every key through one worker. */
    record ReadAll(int worker) implements Action<ClusterSystem> {
        @Override
        public boolean precondition(ClusterSystem s) {
            return s.running(worker);
        }

        @Override
        public ClusterSystem run(ClusterSystem s) {
            for (String key : ClusterProperties.allKeys()) {
                checkRead(s, worker, key);
            }
            return s;
        }

        @Override
        public String toString() {
            return "read every key via " + ClusterSystem.name(worker);
        }
    }

    record Delete(String key, int worker) implements Action<ClusterSystem> {
        @Override
        public boolean precondition(ClusterSystem s) {
            return s.running(worker);
        }

        @Override
        public ClusterSystem run(ClusterSystem s) {
            s.client(worker).deleteObject(b -> b.bucket(ClusterSystem.BUCKET).key(key));
            s.model.remove(key);
            return s;
        }

        @Override
        public String toString() {
            return "delete " + key + " via " + ClusterSystem.name(worker);
        }
    }

    /** Crash-stops a worker (at least one stays up); reads through the others are checked at once. */
    record Kill(int worker) implements Action<ClusterSystem> {
        @Override
        public boolean precondition(ClusterSystem s) {
            return s.running(worker) && s.liveCount() > 1;
        }

        @Override
        public ClusterSystem run(ClusterSystem s) {
            s.kill(worker);
            return s;
        }

        @Override
        public String toString() {
            return "kill " + ClusterSystem.name(worker);
        }
    }

    /** Starts a crash-stopped worker again; everything acknowledged reads back at once. */
    record Restart(int worker) implements Action<ClusterSystem> {
        @Override
        public boolean precondition(ClusterSystem s) {
            return !s.running(worker);
        }

        @Override
        public ClusterSystem run(ClusterSystem s) {
            s.start(worker);
            // At once, through every running worker: the others' views of it may be older than
            // the restart (a new internal address), and still it is served.
            for (String key : s.model.keySet()) {
                for (int w = 0; w < ClusterSystem.WORKERS; w++) {
                    if (s.running(w)) {
                        checkRead(s, w, key);
                    }
                }
            }
            return s;
        }

        @Override
        public String toString() {
            return "restart " + ClusterSystem.name(worker) + " and read everything through every running worker";
        }
    }
}
