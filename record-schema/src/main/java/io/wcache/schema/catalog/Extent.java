package io.wcache.schema.catalog;

import io.wcache.core.error.WcacheException;

/**
 * Where bytes {@code [offset, offset+length)} of file {@code fileId} live: a worker's segment
 * log, at {@code position} in {@code segment}, with the CRC32C of those bytes.
 */
public record Extent(long fileId, long offset, String worker, long segment, long position, long length, long crc32c) {

    void validateFor(SessionRef session) {
        String subject = session.toString();
        if (fileId != session.fileId()) {
            throw new WcacheException.InvalidArgument(subject, "extent of file " + fileId + " added to session " + subject);
        }
        if (offset < 0 || length <= 0 || position < 0 || segment < 0) {
            throw new WcacheException.InvalidArgument(subject, "extent has a negative offset/position/segment or "
                    + "a non-positive length: " + this);
        }
        if (worker == null || worker.isEmpty()) {
            throw new WcacheException.InvalidArgument(subject, "extent names no worker: " + this);
        }
    }

    public long end() {
        return offset + length;
    }
}
