package io.wcache.logstore.segment;

import java.nio.ByteBuffer;

/** A verified record read back whole: the file and offset it belongs to, and its payload. */
public record StoredRecord(long fileId, long fileOffset, ByteBuffer payload) {
}
