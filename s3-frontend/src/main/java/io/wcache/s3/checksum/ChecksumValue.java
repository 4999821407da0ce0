package io.wcache.s3.checksum;

/** A flexible checksum of a payload, base64 as S3 returns it in {@code x-amz-checksum-*}. */
public record ChecksumValue(ChecksumAlgorithm algorithm, String base64) {
}
