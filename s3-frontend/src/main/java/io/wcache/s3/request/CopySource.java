package io.wcache.s3.request;

import io.wcache.s3.error.S3ErrorCode;
import io.wcache.s3.error.S3Exception;
import java.util.Optional;

/**
 * The object named by {@code x-amz-copy-source} ({@code /bucket/key} or {@code bucket/key},
 * URL-encoded, optionally {@code ?versionId=}), decoded.
 */
public record CopySource(String bucket, String key, Optional<String> versionId) {

    /**
     * Parses the header value.
     *
     * @throws S3Exception {@code InvalidArgument} when it does not name a bucket and a key
     */
    public static CopySource parse(String header) {
        String v = header.trim();
        Optional<String> versionId = Optional.empty();
        int q = v.indexOf('?');
        if (q >= 0) {
            String query = v.substring(q + 1);
            v = v.substring(0, q);
            for (String p : query.split("&")) {
                if (p.startsWith("versionId=")) {
                    versionId = Optional.of(PercentCodec.decode(p.substring(10), true));
                }
            }
        }
        if (v.startsWith("/")) {
            v = v.substring(1);
        }
        int slash = v.indexOf('/');
        if (slash <= 0 || slash == v.length() - 1) {
            throw new S3Exception(S3ErrorCode.INVALID_ARGUMENT,
                    "Invalid copy source object key: the x-amz-copy-source header must be bucket/key");
        }
        String bucket = PercentCodec.decode(v.substring(0, slash), false);
        String key = PercentCodec.decode(v.substring(slash + 1), false);
        S3RequestParser.checkKeyLength(key);
        return new CopySource(bucket, key, versionId);
    }
}
