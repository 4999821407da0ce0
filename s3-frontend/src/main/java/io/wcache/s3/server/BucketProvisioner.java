package io.wcache.s3.server;

import io.wcache.s3.error.S3ErrorCode;
import io.wcache.s3.error.S3Exception;
import java.util.concurrent.CompletableFuture;

/**
 * What CreateBucket and DeleteBucket do: buckets are the namespace's mounts, and whether S3
 * clients may add or remove mounts is a deployment decision. {@link #REFUSE} (the default)
 * answers both with a clear {@code AccessDenied} naming the admin command that manages mounts.
 */
public interface BucketProvisioner {

    /** Adds a mount named {@code bucket}; fails with an S3 or core error. */
    CompletableFuture<Void> create(String bucket);

    /** Removes the mount {@code bucket}; fails with {@code BucketNotEmpty} (a core Conflict) if it holds objects. */
    CompletableFuture<Void> delete(String bucket);

    /** Refuses both: mounts are managed with {@code wcadm mount add|remove}. */
    BucketProvisioner REFUSE = new BucketProvisioner() {
        @Override
        public CompletableFuture<Void> create(String bucket) {
            return CompletableFuture.failedFuture(new S3Exception(S3ErrorCode.ACCESS_DENIED,
                    "Buckets are wcache mounts; this endpoint does not create them (use 'wcadm mount add')"));
        }

        @Override
        public CompletableFuture<Void> delete(String bucket) {
            return CompletableFuture.failedFuture(new S3Exception(S3ErrorCode.ACCESS_DENIED,
                    "Buckets are wcache mounts; this endpoint does not remove them (use 'wcadm mount remove')"));
        }
    };
}
