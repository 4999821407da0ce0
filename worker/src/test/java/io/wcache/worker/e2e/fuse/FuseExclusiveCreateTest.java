package io.wcache.worker.e2e.fuse;

import static io.wcache.worker.e2e.fuse.FuseShell.python;
import static io.wcache.worker.e2e.fuse.FuseShell.sh;
import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.wcache.fuse.CacheSpace;
import io.wcache.fuse.FuseMount;
import io.wcache.fuse.FuseMountOptions;
import io.wcache.persister.testing.TempDirs;
import io.wcache.worker.FuseFrontend;
import io.wcache.worker.TestWorkers;
import io.wcache.worker.Worker;
import io.wcache.worker.WorkerOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * {@code O_CREAT|O_EXCL} creators racing on one file through two real FUSE mounts of one worker
 * (two mounts, so the creators are not already serialised by one mount's table of open writes):
 * every creator opens, writes, waits for all the others, then closes. Exactly one close succeeds;
 * every other creator gets {@code EEXIST}, from {@code open} or from {@code close}, and the file
 * holds the winner's bytes.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FuseExclusiveCreateTest {

    private static final int CREATORS = 16;

    Path root;
    Path mnt;
    Path mnt2;
    Worker worker;
    FuseMount second;

    @BeforeAll
    void start() throws Exception {
        root = TempDirs.create("fuse-excl").toAbsolutePath();
        mnt = root.resolve("mnt");
        mnt2 = root.resolve("mnt2");
        Files.createDirectories(TestWorkers.ufsDir(root));
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        worker = Worker.start(TestWorkers.config(root), WorkerOptions.defaults().withSegmentSize(8L << 20),
                List.of(FuseFrontend.at(mnt, registry)));
        second = FuseMount.mount(worker.cacheService(), FuseMountOptions.at(mnt2),
                CacheSpace.of(() -> 1L << 30, () -> 1L << 29), registry);
    }

    @AfterAll
    void stop() {
        try {
            if (second != null) {
                second.close();
            }
            if (worker != null) {
                worker.close();
            }
        } finally {
            sh(root, "fusermount -u -z " + mnt + " 2>/dev/null; fusermount -u -z " + mnt2 + " 2>/dev/null; true");
            TempDirs.delete(root);
        }
    }

    @Test
    void sixteenExclusiveCreatorsHaveExactlyOneWinner() {
        for (int round = 0; round < 3; round++) {
            String name = "excl-" + round;
            FuseShell.Result r = python(root, """
                    import errno, os, threading
                    mounts = ['%s', '%s']
                    n = %d
                    barrier = threading.Barrier(n, timeout=60)
                    result = [None] * n
                    def creator(i):
                        path = os.path.join(mounts[i %% 2], 'm', '%s')
                        try:
                            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
                        except OSError as e:
                            barrier.wait()
                            result[i] = 'open:' + errno.errorcode[e.errno]
                            return
                        os.write(fd, b'creator %%d' %% i)
                        barrier.wait()
                        try:
                            os.close(fd)
                            result[i] = 'ok'
                        except OSError as e:
                            result[i] = 'close:' + errno.errorcode[e.errno]
                    threads = [threading.Thread(target=creator, args=(i,)) for i in range(n)]
                    for t in threads: t.start()
                    for t in threads: t.join()
                    print(' '.join(result))
                    print(result.index('ok') if 'ok' in result else -1)
                    """.formatted(mnt, mnt2, CREATORS, name));
            assertThat(r.exit()).as(r.toString()).isZero();
            String[] lines = r.out().strip().split("\n");
            List<String> results = Arrays.asList(lines[0].split(" "));
            assertThat(results).as(name).filteredOn("ok"::equals).hasSize(1);
            assertThat(results).as(name).filteredOn(s -> !s.equals("ok")).allMatch(s -> s.endsWith(":EEXIST"));
            int winner = Integer.parseInt(lines[1]);
            FuseShell.Result cat = sh(root, "cat " + mnt.resolve("m").resolve(name) + "; echo; cat " + mnt2.resolve("m").resolve(name));
            assertThat(cat.out()).as("both mounts read the winner's bytes")
                    .isEqualTo("creator " + winner + "\ncreator " + winner);
        }
    }
}
