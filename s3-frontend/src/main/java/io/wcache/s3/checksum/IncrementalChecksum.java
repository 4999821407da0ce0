package io.wcache.s3.checksum;

import java.nio.ByteBuffer;

/**
 * A checksum computed over a payload as it streams by, one slice at a time. Not thread-safe:
 * one instance per body, fed by the thread that owns the body.
 */
public interface IncrementalChecksum {
    /** Adds the remaining bytes of {@code buf}; its position is advanced to its limit. */
    void update(ByteBuffer buf);

    /** Adds {@code len} bytes of {@code b} from {@code off}. */
    default void update(byte[] b, int off, int len) {
        update(ByteBuffer.wrap(b, off, len));
    }

    /** The checksum of everything added, big-endian as S3 encodes it; the instance is then spent. */
    byte[] finish();
}
