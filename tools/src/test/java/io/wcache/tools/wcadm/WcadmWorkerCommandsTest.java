package io.wcache.tools.wcadm;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.wcache.core.config.WcacheConfig;
import io.wcache.persister.testing.TempDirs;
import io.wcache.worker.S3Frontend;
import io.wcache.worker.Worker;
import io.wcache.worker.WorkerOptions;
import io.wcache.worker.admin.AdminServer;
import io.wcache.worker.cluster.LocalCluster;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code wcadm worker list|kill|start} and {@code fs free} against a three-worker one-process
 * cluster ({@code wcache serve --workers 3}), through worker-0's admin API.
 */
class WcadmWorkerCommandsTest {

    private Path root;
    private LocalCluster cluster;
    private String endpoint;

    @BeforeEach
    void start() throws Exception {
        root = TempDirs.create("wcadm-cluster-");
        Path ufs = root.resolve("ufs/demo");
        Files.createDirectories(ufs);
        WcacheConfig cfg = WcacheConfig.fromYaml("data.dir: " + root.resolve("data") + "\n"
                + "cache.capacity: 64MiB\n"
                + "s3.address: 127.0.0.1:0\n"
                + "s3.auth: none\n"
                + "admin.address: 127.0.0.1:0\n"
                + "cluster.lease.duration: 800ms\n"
                + "cluster.heartbeat.interval: 100ms\n"
                + "mounts:\n  - path: /demo\n    ufs: " + ufs.toUri() + "\n", "test", List.of());
        cluster = LocalCluster.start(cfg, 3, WorkerOptions.defaults().withPersister(false),
                List.of(S3Frontend.fromConfig(), AdminServer.factory()));
        AdminServer admin = (AdminServer) cluster.worker("worker-0").frontends().stream()
                .filter(f -> f instanceof AdminServer).findFirst().orElseThrow();
        endpoint = "http://127.0.0.1:" + admin.address().getPort();
    }

    @AfterEach
    void stop() {
        if (cluster != null) {
            cluster.close();
        }
        TempDirs.delete(root);
    }

    @Test
    void listShowsEveryWorkerAndKillAndStartCrashStopAndRestartOne() throws Exception {
        WcadmCommandsTest.Result list = wcadm("worker", "list", "--json");
        assertThat(list.code()).as(list.err()).isZero();
        JsonNode rows = list.json();
        assertThat(rows).hasSize(3);
        double shares = 0;
        for (int i = 0; i < 3; i++) {
            JsonNode r = rows.get(i);
            Worker w = cluster.worker("worker-" + i);
            assertThat(r.get("name").asText()).isEqualTo("worker-" + i);
            assertThat(r.get("state").asText()).isEqualTo("live");
            assertThat(r.get("s3Address").asText()).endsWith(":" + ((S3Frontend) w.frontends().get(0)).address().getPort());
            assertThat(r.get("adminAddress").asText()).endsWith(":" + ((AdminServer) w.frontends().get(1)).address().getPort());
            assertThat(r.get("pinnedBytes").asLong()).isZero();
            assertThat(r.get("running").asBoolean()).isTrue();
            shares += r.get("ringShare").asDouble();
        }
        assertThat(shares).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-6));
        WcadmCommandsTest.Result table = wcadm("worker", "list");
        assertThat(table.out()).contains("NAME", "STATE", "RING", "PINNED", "worker-2", "live");

        WcadmCommandsTest.Result kill = wcadm("worker", "kill", "worker-1");
        assertThat(kill.code()).as(kill.err()).isZero();
        long deadline = System.nanoTime() + 15_000_000_000L;
        JsonNode w1;
        do {
            assertThat(System.nanoTime()).as("worker-1 is reported dead once its lease lapses").isLessThan(deadline);
            Thread.sleep(20);
            w1 = wcadm("worker", "list", "--json").json().get(1);
        } while (!w1.get("state").asText().equals("dead"));
        assertThat(w1.get("running").asBoolean()).isFalse();
        assertThat(w1.get("ringShare").asDouble()).isZero();

        WcadmCommandsTest.Result again = wcadm("worker", "kill", "worker-1");
        assertThat(again.code()).isEqualTo(Wcadm.SERVER_ERROR);
        assertThat(again.err()).contains("not running");
        WcadmCommandsTest.Result unknown = wcadm("worker", "start", "worker-9");
        assertThat(unknown.code()).isEqualTo(Wcadm.SERVER_ERROR);
        assertThat(unknown.err()).contains("no worker named worker-9");

        WcadmCommandsTest.Result start = wcadm("worker", "start", "worker-1");
        assertThat(start.code()).as(start.err()).isZero();
        JsonNode back = wcadm("worker", "list", "--json").json().get(1);
        assertThat(back.get("state").asText()).isEqualTo("live");
        assertThat(back.get("running").asBoolean()).isTrue();
    }

    @Test
    void fsFreeThroughOneWorkerFreesTheCopyOnTheWorkerHoldingItAndSaysSoInJson() throws Exception {
        // WRITE_THROUGH: persisted at its commit (this cluster runs no persister).
        cluster.worker("worker-0").catalog().cluster().putPathRule(new io.wcache.core.policy.PathRule(
                io.wcache.core.path.NamespacePath.of("/demo/wt"), io.wcache.core.policy.WritePolicy.WRITE_THROUGH, 1));
        cluster.workers().forEach(w -> w.cacheService().refreshPathConfig());
        var ring = io.wcache.worker.cluster.HashRing.of(List.of("worker-0", "worker-1", "worker-2"));
        String key = null;
        for (int i = 0; key == null; i++) {
            if (ring.owner(io.wcache.core.path.NamespacePath.of("/demo/wt/f" + i)).equals("worker-1")) {
                key = "wt/f" + i;
            }
        }
        int size = 3 << 20;
        int s3Port = ((S3Frontend) cluster.worker("worker-0").frontends().get(0)).address().getPort();
        var http = java.net.http.HttpClient.newHttpClient();
        var put = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + s3Port + "/demo/" + key))
                .PUT(java.net.http.HttpRequest.BodyPublishers.ofByteArray(new byte[size])).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
        long evictable = cluster.worker("worker-1").logStore().stats().evictableBytes();
        assertThat(evictable).as("worker-1, the owner, holds the copy").isGreaterThanOrEqualTo(size);

        WcadmCommandsTest.Result free = wcadm("fs", "free", "/demo/" + key, "--json");
        assertThat(free.code()).as(free.err()).isZero();
        String[] lines = free.out().strip().split("\n");
        JsonNode done = AdminClient.JSON.readTree(lines[lines.length - 1]);
        assertThat(done.get("done").asBoolean()).isTrue();
        assertThat(done.get("bytes").asLong()).isEqualTo(size);
        JsonNode workers = done.get("workers");
        assertThat(workers).hasSize(2);
        assertThat(workers.get(0).get("worker").asText()).isEqualTo("worker-0");
        assertThat(workers.get(0).get("releasedBytes").asLong()).isZero();
        assertThat(workers.get(1).get("worker").asText()).isEqualTo("worker-1");
        assertThat(workers.get(1).get("releasedBytes").asLong()).isEqualTo(size);
        assertThat(workers.get(1).has("error")).isFalse();
        assertThat(cluster.worker("worker-1").logStore().stats().evictableBytes()).isLessThanOrEqualTo(evictable - size);

        WcadmCommandsTest.Result again = wcadm("fs", "free", "/demo/" + key);
        assertThat(again.code()).as(again.err()).isZero();
        assertThat(again.out()).contains("freed 0 cached bytes").doesNotContain("worker-1");
    }

    private WcadmCommandsTest.Result wcadm(String... args) {
        String[] all = new String[args.length + 2];
        all[0] = "--endpoint";
        all[1] = endpoint;
        System.arraycopy(args, 0, all, 2, args.length);
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Wcadm.run(all, new PrintWriter(out, true), new PrintWriter(err, true), Map.of(), root);
        return new WcadmCommandsTest.Result(code, out.toString(), err.toString());
    }
}
