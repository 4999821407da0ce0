package io.wcache.s3.checksum;

import java.util.Optional;

/**
 * A body whose every announced digest matched: its length and its flexible checksum when one was
 * requested.
 */
public record VerifiedPayload(long length, Optional<ChecksumValue> checksum) {
}
