package io.wcache.s3.request;

/**
 * The S3 REST operations the frontend recognises, decided from method, addressing and
 * sub-resource query parameters. {@link #NOT_IMPLEMENTED} covers real S3 operations
 * (ACLs, tagging, versioning, lifecycle ...) that wcache does not serve, so clients get a
 * clear {@code 501 NotImplemented} rather than a wrong answer.
 */
public enum S3Operation {
    LIST_BUCKETS,
    HEAD_BUCKET,
    CREATE_BUCKET,
    DELETE_BUCKET,
    GET_BUCKET_LOCATION,
    LIST_OBJECTS,
    LIST_OBJECTS_V2,
    GET_OBJECT,
    HEAD_OBJECT,
    PUT_OBJECT,
    COPY_OBJECT,
    DELETE_OBJECT,
    DELETE_OBJECTS,
    CREATE_MULTIPART_UPLOAD,
    UPLOAD_PART,
    UPLOAD_PART_COPY,
    COMPLETE_MULTIPART_UPLOAD,
    ABORT_MULTIPART_UPLOAD,
    LIST_PARTS,
    LIST_MULTIPART_UPLOADS,
    /** {@code GET ?versions}: every object as its {@code null} version (versioning is never enabled). */
    LIST_OBJECT_VERSIONS,
    GET_BUCKET_VERSIONING,
    PUT_BUCKET_VERSIONING,
    GET_BUCKET_ACL,
    PUT_BUCKET_ACL,
    /** {@code GET} of a bucket configuration wcache does not keep ({@code ?policy}, {@code ?cors}, ...): its "none" answer. */
    GET_BUCKET_CONFIG,
    /** {@code PUT ?ownershipControls}: the one bucket configuration wcache keeps besides ACLs. */
    PUT_BUCKET_CONFIG,
    /** {@code DELETE} of a bucket configuration wcache does not keep: nothing to delete, {@code 204}. */
    DELETE_BUCKET_CONFIG,
    GET_OBJECT_TAGGING,
    PUT_OBJECT_TAGGING,
    DELETE_OBJECT_TAGGING,
    GET_OBJECT_ACL,
    PUT_OBJECT_ACL,
    GET_OBJECT_ATTRIBUTES,
    /** {@code GET ?policy}: the bucket policy document. */
    GET_BUCKET_POLICY,
    /** {@code PUT ?policy}: stores a bucket policy (a JSON body). */
    PUT_BUCKET_POLICY,
    /** {@code DELETE ?policy}. */
    DELETE_BUCKET_POLICY,
    /** {@code GET ?policyStatus}: whether the bucket policy makes the bucket public. */
    GET_BUCKET_POLICY_STATUS,
    NOT_IMPLEMENTED;

    /** Whether the request carries a payload that is the object's (or part's) data. */
    public boolean hasObjectPayload() {
        return this == PUT_OBJECT || this == UPLOAD_PART;
    }

    /** Whether the request carries a small XML body that the frontend parses itself. */
    public boolean hasXmlBody() {
        return this == DELETE_OBJECTS || this == COMPLETE_MULTIPART_UPLOAD || this == PUT_OBJECT_TAGGING
                || this == PUT_OBJECT_ACL || this == PUT_BUCKET_ACL || this == PUT_BUCKET_VERSIONING
                || this == PUT_BUCKET_CONFIG || this == CREATE_BUCKET || this == PUT_BUCKET_POLICY;
    }
}
