package io.wcache.worker.e2e.s3;

import static org.assertj.core.api.Assertions.assertThat;

import io.wcache.core.path.NamespacePath;
import io.wcache.core.policy.PathRule;
import io.wcache.core.policy.WritePolicy;
import io.wcache.worker.TestWorkers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * Conditional writes racing on one key through the real S3 server and the AWS SDK: of 16
 * concurrent {@code If-None-Match: *} PUTs exactly one is answered 200 and the others 412, and the
 * object (in the cache and, once persisted, in the UFS) is the winner's body; of concurrent
 * {@code If-Match} PUTs naming the same ETag, exactly one wins. Under every policy that writes.
 */
class ConditionalCreateEndToEndTest {

    private static final int CREATORS = 16;
    private static final int ROUNDS = 4;

    @TempDir
    Path root;
    private S3Rig rig;
    private S3Client s3;
    private ExecutorService pool;

    @BeforeEach
    void start() {
        rig = new S3Rig(root);
        rig.worker.catalog().cluster().putPathRule(new PathRule(NamespacePath.of("/m/wt"), WritePolicy.WRITE_THROUGH, 1));
        rig.worker.catalog().cluster().putPathRule(new PathRule(NamespacePath.of("/m/nc"), WritePolicy.NO_CACHE, 1));
        rig.worker.catalog().cluster().putPathRule(new PathRule(NamespacePath.of("/m/tr"), WritePolicy.TRANSIENT, 1));
        rig.worker.cacheService().refreshPathConfig();
        s3 = rig.client();
        pool = Executors.newFixedThreadPool(CREATORS);
    }

    @AfterEach
    void stop() {
        pool.shutdownNow();
        s3.close();
        rig.close();
    }

    @Test
    void sixteenConcurrentIfNoneMatchCreatorsHaveExactlyOneWinnerUnderEveryPolicy() throws Exception {
        for (String prefix : List.of("wb", "wt", "nc", "tr")) {
            for (int round = 0; round < ROUNDS; round++) {
                String key = prefix + "/created-" + round;
                List<Integer> statuses = race(i -> s3.putObject(PutObjectRequest.builder().bucket(S3Rig.BUCKET).key(key)
                        .ifNoneMatch("*").build(), RequestBody.fromString(body(key, i))));
                assertThat(statuses).as(key).filteredOn(s -> s == 200).hasSize(1);
                assertThat(statuses).as(key).filteredOn(s -> s != 200).allMatch(s -> s == 412);
                int winner = statuses.indexOf(200);
                assertThat(s3.getObjectAsBytes(b -> b.bucket(S3Rig.BUCKET).key(key)).asUtf8String())
                        .as("the object is the winner's body").isEqualTo(body(key, winner));
                if (!prefix.equals("wb") && !prefix.equals("tr")) {
                    assertThat(Files.readString(TestWorkers.ufsDir(root).resolve(key)))
                            .as("the UFS holds the winner's body").isEqualTo(body(key, winner));
                }
            }
        }
    }

    @Test
    void concurrentIfMatchWritersOfTheSameEtagHaveExactlyOneWinner() throws Exception {
        for (String prefix : List.of("wb", "wt")) {
            for (int round = 0; round < ROUNDS; round++) {
                String key = prefix + "/matched-" + round;
                String etag = s3.putObject(b -> b.bucket(S3Rig.BUCKET).key(key), RequestBody.fromString("v1")).eTag();
                List<Integer> statuses = race(i -> s3.putObject(PutObjectRequest.builder().bucket(S3Rig.BUCKET).key(key)
                        .ifMatch(etag).build(), RequestBody.fromString(body(key, i))));
                assertThat(statuses).as(key).filteredOn(s -> s == 200).hasSize(1);
                assertThat(statuses).as(key).filteredOn(s -> s != 200).allMatch(s -> s == 412);
                assertThat(s3.getObjectAsBytes(b -> b.bucket(S3Rig.BUCKET).key(key)).asUtf8String())
                        .isEqualTo(body(key, statuses.indexOf(200)));
            }
        }
    }

    private static String body(String key, int creator) {
        return "creator " + creator + " of " + key + " " + "x".repeat(1000 * (creator + 1));
    }

    /** Runs {@code put(i)} for i in 0..15 at once; the HTTP status each got. */
    private List<Integer> race(Consumer<Integer> put) throws Exception {
        CyclicBarrier start = new CyclicBarrier(CREATORS);
        List<CompletableFuture<Integer>> results = new ArrayList<>();
        for (int i = 0; i < CREATORS; i++) {
            int creator = i;
            results.add(CompletableFuture.supplyAsync(() -> {
                try {
                    start.await(30, TimeUnit.SECONDS);
                    put.accept(creator);
                    return 200;
                } catch (S3Exception e) {
                    return e.statusCode();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }, pool));
        }
        List<Integer> out = new ArrayList<>();
        for (CompletableFuture<Integer> r : results) {
            out.add(r.get(120, TimeUnit.SECONDS));
        }
        return out;
    }
}
