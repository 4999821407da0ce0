package io.wcache.s3.error;

/**
 * What a failed operation was about, which S3 needs to pick among errors that core reports as
 * one kind: a missing bucket is {@code NoSuchBucket}, a missing key {@code NoSuchKey}, a missing
 * upload {@code NoSuchUpload}; an existing object under {@code If-None-Match: *} is a failed
 * precondition, not a conflict.
 */
public enum ErrorContext {
    /** Bucket operations: create, delete, head, list. */
    BUCKET,
    /** Object reads, writes, deletes and copies without preconditions. */
    OBJECT,
    /** Object operations that carried a precondition (If-Match, If-None-Match, copy-source-if-*). */
    CONDITIONAL_OBJECT,
    /** Multipart upload operations naming an upload id. */
    MULTIPART_UPLOAD
}
