package io.wcache.s3.checksum;

import io.wcache.s3.etag.ETags;
import java.util.Optional;

/**
 * A body whose every announced digest matched: its length, its MD5 (the ETag of a single-part
 * object or of a part) and its flexible checksum when one was requested.
 */
public record VerifiedPayload(long length, byte[] md5, Optional<ChecksumValue> checksum) {
    public VerifiedPayload {
        md5 = md5.clone();
    }

    @Override
    public byte[] md5() {
        return md5.clone();
    }

    /** The quoted ETag. */
    public String etag() {
        return ETags.quoted(md5);
    }
}
