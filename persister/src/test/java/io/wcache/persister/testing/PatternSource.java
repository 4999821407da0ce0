package io.wcache.persister.testing;

import io.wcache.persister.ufs.UploadSource;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * A deterministic, incompressible body of any length generated from its position, so tests can
 * upload hundreds of MiB without holding them in memory and still check every byte.
 */
public final class PatternSource implements UploadSource {
    private final long length;
    private final long seed;

    public PatternSource(long length, long seed) {
        this.length = length;
        this.seed = seed;
    }

    @Override
    public long length() {
        return length;
    }

    @Override
    public InputStream open(long offset, long len) throws IOException {
        if (offset < 0 || len < 0 || offset + len > length) {
            throw new IndexOutOfBoundsException(offset + "+" + len + " > " + length);
        }
        return new InputStream() {
            private long pos = offset;
            private final long end = offset + len;

            @Override
            public int read() {
                if (pos >= end) {
                    return -1;
                }
                return byteAt(pos++) & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int n) {
                if (pos >= end) {
                    return -1;
                }
                int count = (int) Math.min(n, end - pos);
                for (int i = 0; i < count; i++) {
                    b[off + i] = byteAt(pos + i);
                }
                pos += count;
                return count;
            }
        };
    }

    private byte byteAt(long p) {
        long z = (p >>> 3) * 0x9E3779B97F4A7C15L + seed;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z ^= z >>> 31;
        return (byte) (z >>> ((p & 7) * 8));
    }

    /** The SHA-256 of the whole body. */
    public String sha256() throws IOException {
        try (InputStream in = open(0, length)) {
            return sha256(in);
        }
    }

    /** The SHA-256 of everything {@code in} yields; it reads in 64 KiB steps and never buffers the whole. */
    public static String sha256(InputStream in) throws IOException {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        byte[] buf = new byte[64 * 1024];
        int n;
        while ((n = in.read(buf)) > 0) {
            digest.update(buf, 0, n);
        }
        return HexFormat.of().formatHex(digest.digest());
    }
}
