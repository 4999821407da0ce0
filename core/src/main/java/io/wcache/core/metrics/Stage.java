package io.wcache.core.metrics;

/**
 * The stages a request passes through, each timed by {@link Stages} (docs/PERFORMANCE.md, "Where
 * the time goes"). The {@link #label()} is the {@code stage} tag of the {@code wcache.stage} timer
 * on {@code /metrics}.
 */
public enum Stage {
    /** Parsing an S3 request head (method, URI, headers) into a request. */
    S3_PARSE("s3.parse"),
    /** Verifying the request's signature (SigV4 or presigned). */
    S3_AUTH("s3.auth"),
    /** From the request head dispatched until the body's end was decoded (PUT and UploadPart). */
    S3_BODY("s3.body"),
    /** One journal append of a write-pipeline batch to the log store. */
    LOG_APPEND("log.append"),
    /** One group sync (fdatasync) of the log store that a batch of writes waits for. */
    LOG_SYNC("log.sync"),
    /**
     * One sync of the log store that no write waits for: the records of small writes whose
     * commits carried a copy of their bodies (docs/DECISIONS.md, "One sync for a small write").
     */
    LOG_SYNC_BACKGROUND("log.sync.background"),
    /** One Catalog transaction applying a write-pipeline batch, retries included. */
    CATALOG_TXN("catalog.txn"),
    /** The engine commit of that transaction: from its body's end until the commit returned. */
    ENGINE_COMMIT("engine.commit"),
    /**
     * Handing a committed or deleted change to the write pipeline's subscribers (the persister's
     * fast path), on the thread that completes the request, before its acknowledgement.
     */
    PIPELINE_EVENTS("pipeline.events"),
    /** Sending a complete S3 response: from the result on the event loop until it is written. */
    S3_RESPONSE("s3.response"),
    /** One read of cached bytes from the log store by an upload. */
    UPLOAD_READ("upload.read"),
    /** One UFS client call of an upload (PUT of the whole object, its cache reads included). */
    UPLOAD_UFS("upload.ufs"),
    /**
     * The S3 UFS client's own time within one upload request (PutObject, UploadPart): marshalling,
     * signing (the body's SHA-256 over plain HTTP, its cache reads included) and reading the answer,
     * that is the request's time minus its time on the wire and in the store. A local-directory UFS
     * has no client and records none.
     */
    UPLOAD_CLIENT("upload.client"),
    /** Marking an uploaded version {@code PERSISTED} in the Catalog. */
    UPLOAD_MARK_PERSISTED("upload.mark_persisted");

    private final String label;

    Stage(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }
}
