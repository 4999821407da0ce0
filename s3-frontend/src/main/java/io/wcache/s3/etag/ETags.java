package io.wcache.s3.etag;

import io.wcache.core.digest.Md5;
import io.wcache.s3.error.S3ErrorCode;
import io.wcache.s3.error.S3Exception;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;

/**
 * S3 entity tags: a single-part object's ETag is its quoted MD5 hex; a multipart object's is
 * {@code "md5(concat(part md5 bytes))-N"}, which clients (awscli, s3fs) recognise by the suffix.
 */
public final class ETags {
    private ETags() {
    }

    /** {@code "<md5 hex>"}. */
    public static String quoted(byte[] md5) {
        if (md5.length != 16) {
            throw new IllegalArgumentException("an MD5 has 16 bytes, got " + md5.length);
        }
        return "\"" + HexFormat.of().formatHex(md5) + "\"";
    }

    /** The quoted ETag of {@code data}. */
    public static String of(byte[] data) {
        return quoted(md5().digest(data));
    }

    /** The quoted multipart ETag of parts with these MD5s, in part order. */
    public static String multipart(List<byte[]> partMd5s) {
        if (partMd5s.isEmpty()) {
            throw new IllegalArgumentException("a multipart upload has at least one part");
        }
        MessageDigest md = md5();
        for (byte[] p : partMd5s) {
            md.update(p);
        }
        return "\"" + HexFormat.of().formatHex(md.digest()) + "-" + partMd5s.size() + "\"";
    }

    /**
     * The MD5 bytes of a single-part ETag as a client echoes it (quoted or not).
     *
     * @throws S3Exception {@code InvalidPart} when it is not an MD5 hex
     */
    public static byte[] md5Of(String etag) {
        String t = etag.trim();
        if (t.length() >= 2 && t.startsWith("\"") && t.endsWith("\"")) {
            t = t.substring(1, t.length() - 1);
        }
        if (t.length() != 32) {
            throw new S3Exception(S3ErrorCode.INVALID_PART, null);
        }
        try {
            return HexFormat.of().parseHex(t);
        } catch (IllegalArgumentException e) {
            throw new S3Exception(S3ErrorCode.INVALID_PART, null);
        }
    }

    private static MessageDigest md5() {
        return Md5.newDigest();
    }
}
