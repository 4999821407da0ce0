package io.wcache.persister.ufs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wcache.core.error.WcacheException;
import io.wcache.persister.testing.EmbeddedS3Server;
import io.wcache.persister.testing.PatternSource;
import java.net.URI;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.jclouds.blobstore.BlobStore;
import org.jclouds.blobstore.domain.Blob;
import org.jclouds.blobstore.domain.MultipartPart;
import org.jclouds.blobstore.domain.MultipartUpload;
import org.jclouds.blobstore.options.PutOptions;
import org.jclouds.blobstore.util.ForwardingBlobStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A server that reports an ETag other than the MD5 of the bytes sent (a corrupted store, or a
 * proxy that mangled the body) is caught as {@link WcacheException.Corruption}, not taken as a
 * successful upload; {@code verify.etag=false} accepts it for servers whose ETags are not MD5s.
 */
class S3EtagVerificationTest {

    private static final String WRONG_MULTIPART_ETAG = "0123456789abcdef0123456789abcdef-2";
    private static final String WRONG_ETAG = "fedcba9876543210fedcba9876543210";

    @TempDir
    Path temp;

    /** Stores the real bytes but answers a completed multipart upload with a wrong ETag. */
    private static BlobStore wrongMultipartEtag(BlobStore real) {
        return new ForwardingBlobStore(real) {
            @Override
            public String completeMultipartUpload(MultipartUpload mpu, List<MultipartPart> parts) {
                super.completeMultipartUpload(mpu, parts);
                return WRONG_MULTIPART_ETAG;
            }
        };
    }

    /** Stores the real bytes but answers a single-request upload with a wrong ETag. */
    private static BlobStore wrongEtag(BlobStore real) {
        return new ForwardingBlobStore(real) {
            @Override
            public String putBlob(String container, Blob blob) {
                super.putBlob(container, blob);
                return WRONG_ETAG;
            }

            @Override
            public String putBlob(String container, Blob blob, PutOptions options) {
                super.putBlob(container, blob, options);
                return WRONG_ETAG;
            }
        };
    }

    /**
     * The client library's own MD5 check is off: the UFS computes the MD5 of what it sends once and
     * compares it itself, so a wrong ETag is reported as corruption of that object, and
     * {@code verify.etag=false} really accepts a server whose ETags are not MD5s.
     */
    @Test
    void singleUploadEtagThatIsNotTheMd5IsCorruptionUnlessVerificationIsOff() throws Exception {
        uploadIsCorruptionUnlessVerificationIsOff(S3EtagVerificationTest::wrongEtag, Map.of(),
                new PatternSource(100_000, 5), WRONG_ETAG);
    }

    @Test
    void multipartEtagThatIsNotTheMd5OfThePartsIsCorruption() throws Exception {
        uploadIsCorruptionUnlessVerificationIsOff(S3EtagVerificationTest::wrongMultipartEtag,
                Map.of("multipart.threshold", "6MiB", "multipart.part.size", "5MiB"),
                new PatternSource(7L << 20, 4), WRONG_MULTIPART_ETAG);
    }

    private void uploadIsCorruptionUnlessVerificationIsOff(UnaryOperator<BlobStore> server, Map<String, String> extra,
                                                           PatternSource body, String wrongEtag) throws Exception {
        try (EmbeddedS3Server s3 = EmbeddedS3Server.start(temp.resolve("s3"), server)) {
            s3.createBucket("etags");
            Map<String, String> options = new HashMap<>(s3.ufsOptions());
            options.putAll(extra);
            URI root = URI.create("s3://etags/m");
            try (UnderFileSystem ufs = UnderFileSystem.open(root, options)) {
                assertThatThrownBy(() -> ufs.put("k", body, io.wcache.persister.ufs.PutOptions.DEFAULT))
                        .isInstanceOf(WcacheException.Corruption.class)
                        .hasMessageContaining(wrongEtag)
                        .satisfies(e -> assertThat(((WcacheException) e).subject()).isEqualTo("s3://etags/m/k"));
            }
            options.put("verify.etag", "false");
            try (UnderFileSystem ufs = UnderFileSystem.open(root, options)) {
                assertThat(ufs.put("k", body, io.wcache.persister.ufs.PutOptions.DEFAULT).etag()).isEqualTo(wrongEtag);
            }
        }
    }
}
