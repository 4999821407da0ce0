package io.wcache.fdb.embedded;

import java.util.Arrays;
import java.util.Comparator;

/** Key ordering and the few key constants FoundationDB's client defines. */
final class Keys {
    /** FoundationDB orders keys as unsigned bytes, lexicographically. */
    static final Comparator<byte[]> ORDER = Arrays::compareUnsigned;
    static final byte[] EMPTY = new byte[0];
    /** The first system key; user keys are below it. */
    static final byte[] SYSTEM_PREFIX = {(byte) 0xff};
    /** The end of the system key space. */
    static final byte[] SYSTEM_END = {(byte) 0xff, (byte) 0xff};
    /** The one system key any client may read and version-stamp. */
    static final byte[] METADATA_VERSION = concat(SYSTEM_PREFIX, "/metadataVersion".getBytes(java.nio.charset.StandardCharsets.US_ASCII));

    static final int KEY_SIZE_LIMIT = 10_000;
    static final int VALUE_SIZE_LIMIT = 100_000;
    static final long TRANSACTION_SIZE_LIMIT = 10_000_000L;

    private Keys() {
    }

    static int compare(byte[] a, byte[] b) {
        return Arrays.compareUnsigned(a, b);
    }

    /** The smallest key strictly greater than {@code key}. */
    static byte[] after(byte[] key) {
        return Arrays.copyOf(key, key.length + 1);
    }

    static byte[] min(byte[] a, byte[] b) {
        return compare(a, b) <= 0 ? a : b;
    }

    static byte[] max(byte[] a, byte[] b) {
        return compare(a, b) >= 0 ? a : b;
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    static boolean isSystem(byte[] key) {
        return key.length > 0 && key[0] == (byte) 0xff;
    }
}
