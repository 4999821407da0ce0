package io.wcache.worker.cluster;

import static io.wcache.worker.e2e.fuse.FuseShell.sh;
import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.wcache.core.path.NamespacePath;
import io.wcache.fuse.CacheSpace;
import io.wcache.fuse.FuseMount;
import io.wcache.fuse.FuseMountOptions;
import io.wcache.persister.testing.TempDirs;
import io.wcache.schema.catalog.Extent;
import io.wcache.schema.catalog.PathStatus;
import io.wcache.worker.Worker;
import io.wcache.worker.e2e.fuse.FuseShell;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;

/**
 * Read-after-write across the workers of a three-worker cluster through FUSE: worker-0 and
 * worker-1 each mount the namespace (their frontend service, as {@code --fuse-mount} does), and
 * every worker serves S3. A file closed through one worker's mount is read at once through the
 * other mount and through every worker's S3 endpoint, wherever its owner is; an object put through
 * S3 on one worker is read at once through both mounts.
 */
class ClusterFuseTest {

    private static Path root;
    private static ClusterRig rig;
    private static final List<FuseMount> mounts = new ArrayList<>();
    private static Path[] mnt;

    @BeforeAll
    static void start() throws Exception {
        root = TempDirs.create("cluster-fuse-").toAbsolutePath();
        rig = new ClusterRig(root, 3);
        mnt = new Path[] {root.resolve("mnt-0"), root.resolve("mnt-1")};
        for (int i = 0; i < mnt.length; i++) {
            Worker w = rig.worker(i);
            mounts.add(FuseMount.mount(w.frontendService(), FuseMountOptions.at(mnt[i]),
                    CacheSpace.of(() -> 1L << 30, () -> 1L << 29), new SimpleMeterRegistry()));
        }
    }

    @AfterAll
    static void stop() {
        try {
            mounts.forEach(FuseMount::close);
            if (rig != null) {
                rig.close();
            }
        } finally {
            if (mnt != null) {
                sh(root, "fusermount -u -z " + mnt[0] + " 2>/dev/null; fusermount -u -z " + mnt[1] + " 2>/dev/null; true");
            }
            TempDirs.delete(root);
        }
    }

    private static String holder(String key) {
        PathStatus s = rig.worker(0).catalog().files().status(NamespacePath.of("/" + ClusterRig.BUCKET + "/" + key));
        assertThat(s).as("%s is committed", key).isInstanceOf(PathStatus.Live.class);
        TreeSet<String> holders = new TreeSet<>();
        for (Extent e : ((PathStatus.Live) s).layout().extents()) {
            holders.add(e.worker());
        }
        return String.join(",", holders);
    }

    private static String s3Read(int worker, String key) {
        return rig.client(worker).getObjectAsBytes(b -> b.bucket(ClusterRig.BUCKET).key(key)).asString(StandardCharsets.UTF_8);
    }

    @Test
    void aFileClosedThroughOneWorkersMountIsReadAtOnceThroughTheOtherMountAndEveryS3Endpoint() {
        assertThat(sh(mnt[0], "mkdir -p m/fuse").exit()).isZero();
        for (String owner : List.of("worker-0", "worker-1", "worker-2")) {
            String key = ClusterForwardingTest.pickKeyOwnedBy(owner, "fuse/");
            String body = "written through the mount of worker-0, owned by " + owner;
            FuseShell.Result w = sh(mnt[0], "printf '%s' '" + body + "' > m/" + key);
            assertThat(w.exit()).as(w.toString()).isZero();
            assertThat(holder(key)).as("the bytes of %s went to its owner", key).isEqualTo(owner);
            FuseShell.Result r = sh(mnt[1], "cat m/" + key);
            assertThat(r.out()).as("read through worker-1's mount: %s", r).isEqualTo(body);
            for (int s3 = 0; s3 < 3; s3++) {
                assertThat(s3Read(s3, key)).as("%s read through worker-%d's S3 endpoint", key, s3).isEqualTo(body);
            }
        }
    }

    @Test
    void anObjectPutThroughS3OnOneWorkerIsReadAtOnceThroughTheMountsOfTheOthers() {
        for (String owner : List.of("worker-0", "worker-1", "worker-2")) {
            String key = ClusterForwardingTest.pickKeyOwnedBy(owner, "s3/");
            String body = "put through worker-2's S3 endpoint, owned by " + owner;
            rig.client(2).putObject(b -> b.bucket(ClusterRig.BUCKET).key(key), RequestBody.fromString(body));
            for (int m = 0; m < mnt.length; m++) {
                FuseShell.Result r = sh(mnt[m], "cat m/" + key);
                assertThat(r.out()).as("%s read through worker-%d's mount: %s", key, m, r).isEqualTo(body);
            }
        }
    }

    @Test
    void aLargeFileWrittenThroughAMountOnANonOwnerReadsBackIdenticalThroughTheOtherMount() throws Exception {
        String key = ClusterForwardingTest.pickKeyOwnedBy("worker-2", "big-fuse/");
        Path src = root.resolve("big-src");
        FuseShell.Result gen = sh(root, "openssl enc -aes-128-ctr -pass pass:cluster -nosalt -pbkdf2 < /dev/zero 2>/dev/null"
                + " | head -c " + (24L << 20) + " > " + src);
        assertThat(gen.exit()).as(gen.toString()).isZero();
        FuseShell.Result cp = sh(mnt[0], "mkdir -p m/big-fuse && cp " + src + " m/" + key + " && cmp " + src + " "
                + mnt[1] + "/m/" + key);
        assertThat(cp.exit()).as(cp.toString()).isZero();
        assertThat(holder(key)).isEqualTo("worker-2");
        assertThat(Files.size(src)).isEqualTo(24L << 20);
    }
}
