package io.wcache.worker.e2e.s3;

import static org.assertj.core.api.Assertions.assertThat;

import io.wcache.core.path.NamespacePath;
import io.wcache.persister.testing.EmbeddedS3Server;
import io.wcache.worker.TestWorkers;
import io.wcache.worker.cache.WorkerCacheService;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.jclouds.blobstore.BlobStore;
import org.jclouds.blobstore.domain.PageSet;
import org.jclouds.blobstore.domain.StorageMetadata;
import org.jclouds.blobstore.options.ListContainerOptions;
import org.jclouds.blobstore.util.ForwardingBlobStore;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Listing a prefix of thousands of objects reads the UFS about once per page: from where the
 * page starts, and only as far as the page reaches, whether the Catalog holds the objects too
 * (written through the cache and persisted) or only the UFS does (written by another tool). A
 * directory the Catalog holds objects in exists without listing the UFS (a FUSE getattr).
 * Bucket {@code s} is a mount on s3proxy, whose store counts the listings it answers.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LargeListingEndToEndTest {

    static final String UFS_BUCKET = "ufs";
    static final String BUCKET = "s";
    static final int OBJECTS = 2_400;
    static final int PAGE = 400;

    @TempDir
    static Path root;
    final AtomicInteger ufsLists = new AtomicInteger();
    final AtomicLong ufsKeysListed = new AtomicLong();
    EmbeddedS3Server proxy;
    S3Rig rig;
    S3Client s3;
    S3Client ufs;
    final List<String> cached = new ArrayList<>();
    final List<String> ufsOnly = new ArrayList<>();

    /** The real s3proxy store, counting the listings it answers and the entries in them. */
    private BlobStore counting(BlobStore real) {
        return new ForwardingBlobStore(real) {
            @Override
            public PageSet<? extends StorageMetadata> list(String container, ListContainerOptions options) {
                PageSet<? extends StorageMetadata> page = super.list(container, options);
                ufsLists.incrementAndGet();
                ufsKeysListed.addAndGet(page.size());
                return page;
            }
        };
    }

    @BeforeAll
    void start() throws Exception {
        proxy = EmbeddedS3Server.start(root.resolve("s3proxy"), this::counting);
        proxy.createBucket(UFS_BUCKET);
        rig = new S3Rig(root.resolve("worker"), "mounts=[" + proxy.mountEntry("/" + BUCKET, UFS_BUCKET + "/pre") + "]");
        s3 = rig.client();
        ufs = proxy.client(16);
        for (int i = 0; i < OBJECTS; i++) {
            cached.add(String.format("big/k%05d", i));
            ufsOnly.add(String.format("cold/k%05d", i));
        }
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> puts = new ArrayList<>();
            for (int i = 0; i < OBJECTS; i++) {
                String viaCache = cached.get(i);
                String direct = ufsOnly.get(i);
                puts.add(pool.submit(() -> s3.putObject(b -> b.bucket(BUCKET).key(viaCache), RequestBody.fromString(viaCache))));
                puts.add(pool.submit(() -> ufs.putObject(b -> b.bucket(UFS_BUCKET).key("pre/" + direct),
                        RequestBody.fromString(direct))));
            }
            for (Future<?> f : puts) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        TestWorkers.drain(rig.worker); // the cached objects are in the UFS too now
    }

    @AfterAll
    void stop() throws Exception {
        s3.close();
        ufs.close();
        rig.close();
        proxy.close();
    }

    private record Listed(List<String> keys, int pages) {
    }

    private Listed listAll(String prefix) {
        List<String> keys = new ArrayList<>();
        String token = null;
        int pages = 0;
        do {
            String t = token;
            ListObjectsV2Response r = s3.listObjectsV2(b -> b.bucket(BUCKET).prefix(prefix).maxKeys(PAGE).continuationToken(t));
            r.contents().stream().map(S3Object::key).forEach(keys::add);
            token = r.isTruncated() ? r.nextContinuationToken() : null;
            pages++;
        } while (token != null && pages < 100);
        return new Listed(keys, pages);
    }

    @Test
    void pagingAPrefixTheCacheAlsoHoldsReadsTheUfsOncePerPage() {
        ufsLists.set(0);
        ufsKeysListed.set(0);
        Listed l = listAll("big/");
        assertThat(l.keys()).containsExactlyElementsOf(cached);
        assertThat(l.pages()).isBetween(OBJECTS / PAGE, OBJECTS / PAGE + 1);
        assertThat(ufsLists.get()).as("UFS listings for %d pages", l.pages()).isLessThanOrEqualTo(2 * l.pages());
        assertThat(ufsKeysListed.get()).as("UFS keys read to list %d keys", OBJECTS).isLessThanOrEqualTo(2L * OBJECTS);
    }

    @Test
    void pagingAPrefixOnlyTheUfsHoldsStartsEachPageWhereTheLastEnded() {
        ufsLists.set(0);
        ufsKeysListed.set(0);
        Listed l = listAll("cold/");
        assertThat(l.keys()).containsExactlyElementsOf(ufsOnly);
        assertThat(ufsLists.get()).as("UFS listings for %d pages", l.pages()).isLessThanOrEqualTo(2 * l.pages());
        assertThat(ufsKeysListed.get()).as("UFS keys read to list %d keys", OBJECTS).isLessThanOrEqualTo(2L * OBJECTS);
    }

    @Test
    void bothSourcesMergeInOrderAcrossPages() {
        Listed l = listAll("");
        List<String> all = new ArrayList<>(cached);
        all.addAll(ufsOnly);
        assertThat(l.keys()).containsExactlyElementsOf(all);
    }

    @Test
    void aDirectoryTheCacheHoldsObjectsInExistsWithoutListingTheUfs() {
        WorkerCacheService cache = rig.worker.cacheService();
        NamespacePath mount = NamespacePath.of("/" + BUCKET);
        ufsLists.set(0);
        assertThat(WorkerCacheService.await(cache.anyListed(mount, "big/", Optional.empty()))).isTrue();
        assertThat(ufsLists.get()).as("UFS listings").isZero();

        assertThat(WorkerCacheService.await(cache.anyListed(mount, "cold/", Optional.empty()))).isTrue();
        assertThat(ufsLists.get()).as("a directory only the UFS holds is listed there").isPositive();
        assertThat(WorkerCacheService.await(cache.anyListed(mount, "none/", Optional.empty()))).isFalse();
        assertThat(WorkerCacheService.await(cache.anyListed(mount, "big/k00001", Optional.of(NamespacePath.of("/s/big/k00001")))))
                .as("only the ignored key").isFalse();
    }
}
