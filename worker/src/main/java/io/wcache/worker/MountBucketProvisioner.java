package io.wcache.worker;

import io.wcache.core.cache.ListQuery;
import io.wcache.core.path.NamespacePath;
import io.wcache.s3.error.S3ErrorCode;
import io.wcache.s3.error.S3Exception;
import io.wcache.s3.server.BucketProvisioner;
import io.wcache.worker.admin.AdminApi;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * CreateBucket and DeleteBucket as mount changes, when {@code s3.create.bucket.ufs} names a UFS
 * URI template: a new bucket {@code b} becomes the mount {@code /b} on the template with
 * {@code {bucket}} replaced by {@code b} and {@code ${data.dir}} by the data directory (a local directory is created; an {@code s3://} template
 * opens with no options, so the default AWS credential chain and region apply). The mount is kept
 * in the Catalog like one added with {@code wcadm mount add}. DeleteBucket removes such a mount
 * when the bucket lists no object (in the cache or the UFS), at once: UFS deletes of its objects
 * still queued finish in the background through the mount's client, which the UFS router keeps
 * for a removed mount; the UFS location itself is left as it is. Mounts from the config file are never removed.
 */
final class MountBucketProvisioner implements BucketProvisioner {

    /** The placeholder of the template. */
    static final String PLACEHOLDER = "{bucket}";

    private final Worker worker;
    private final String template;
    private final AdminApi admin;
    private final Executor executor;

    MountBucketProvisioner(Worker worker, String template, Executor executor) {
        if (!template.contains(PLACEHOLDER)) {
            throw new IllegalArgumentException("s3.create.bucket.ufs must contain " + PLACEHOLDER + ", got " + template);
        }
        this.worker = worker;
        this.template = template;
        this.admin = new AdminApi(worker, Clock.systemUTC());
        this.executor = executor;
    }

    @Override
    public CompletableFuture<Void> create(String bucket) {
        return CompletableFuture.runAsync(() -> {
            String uri = template.replace("${data.dir}", worker.config().dataDir().toString()).replace(PLACEHOLDER, bucket);
            try {
                admin.addMount("/" + bucket, uri, Map.of());
            } catch (io.wcache.core.error.WcacheException.AlreadyExists e) {
                // Created by a concurrent request: S3 answers a bucket you own with success (us-east-1).
            }
        }, executor);
    }

    @Override
    public CompletableFuture<Void> delete(String bucket) {
        return CompletableFuture.runAsync(() -> {
            if (worker.config().mounts().find(bucket).isPresent()) {
                throw new S3Exception(S3ErrorCode.ACCESS_DENIED, "Bucket " + bucket
                        + " is a mount from the worker config file; remove it there and restart the worker");
            }
            var page = worker.cacheService().list(new ListQuery(NamespacePath.of("/" + bucket), "", "", "", 1,
                    Optional.empty())).join();
            // A versioned bucket's archived versions and delete markers count too, as on S3.
            if (!page.objects().isEmpty() || !page.commonPrefixes().isEmpty()
                    || !worker.cacheService().archivedVersions(bucket, "", "", 1).join().isEmpty()) {
                throw new S3Exception(S3ErrorCode.BUCKET_NOT_EMPTY, "The bucket you tried to delete is not empty.");
            }
            if (!worker.catalog().files().tombstones("/" + bucket + "/", "", 1).isEmpty()) {
                // UFS deletes of objects just removed are still queued: they finish in the background through
                // the mount's UFS client, which the router keeps for a removed mount. Open it now so it is there.
                worker.ufs().ufsFor(NamespacePath.of("/" + bucket + "/x"));
            }
            admin.removeMount("/" + bucket);
        }, executor);
    }
}
