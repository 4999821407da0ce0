package io.wcache.properties.cache;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.SplittableRandom;

/**
 * Object bodies named by (seed, size): both JVMs regenerate the same bytes, so commands and
 * replies carry only names and MD5s, never bodies.
 */
public final class Bodies {

    /** Part size of multipart uploads: S3's minimum for every part but the last. */
    public static final int PART_SIZE = 5 * 1024 * 1024;

    private Bodies() {
    }

    public static byte[] bytes(long seed, int size) {
        byte[] b = new byte[size];
        SplittableRandom r = new SplittableRandom(seed * 31 + size);
        for (int i = 0; i < size; i += 8) {
            long v = r.nextLong();
            for (int j = 0; j < 8 && i + j < size; j++) {
                b[i + j] = (byte) (v >>> (8 * j));
            }
        }
        return b;
    }

    public static String md5(byte[] b, int off, int len) {
        try {
            MessageDigest d = MessageDigest.getInstance("MD5");
            d.update(b, off, len);
            return HexFormat.of().formatHex(d.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public static String md5(byte[] b) {
        return md5(b, 0, b.length);
    }

    /** S3's ETag of a body uploaded in {@link #PART_SIZE} parts: MD5 of the parts' MD5s, dash, part count. */
    public static String multipartEtag(byte[] b) {
        java.io.ByteArrayOutputStream digests = new java.io.ByteArrayOutputStream();
        int n = 0;
        for (int off = 0; off < b.length || n == 0; off += PART_SIZE, n++) {
            digests.writeBytes(HexFormat.of().parseHex(md5(b, off, Math.min(PART_SIZE, b.length - off))));
        }
        return md5(digests.toByteArray()) + "-" + n;
    }
}
