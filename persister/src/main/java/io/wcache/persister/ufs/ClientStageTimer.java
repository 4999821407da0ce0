package io.wcache.persister.ufs;

import io.wcache.core.metrics.Stage;
import io.wcache.core.metrics.Stages;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttribute;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.UploadPartRequest;

/**
 * Times the S3 client's own share of an upload request ({@link Stage#UPLOAD_CLIENT}): from the
 * request's start to its transmission (marshalling, signing, for a signed payload the body's
 * SHA-256) plus from the response's arrival to the request's end (unmarshalling). What lies between
 * is the wire and the store; {@link Stage#UPLOAD_UFS} times the whole call. Only uploads (PutObject,
 * UploadPart) are timed; a retried request counts each attempt's
 * preparation and the back-off between attempts.
 */
final class ClientStageTimer implements ExecutionInterceptor {

    private static final ExecutionAttribute<long[]> MARKS = new ExecutionAttribute<>("wcache.clientStage");

    @Override
    public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
        if (context.request() instanceof PutObjectRequest || context.request() instanceof UploadPartRequest) {
            // [0] start of the current client-side interval, [1] client nanos so far
            attributes.putAttribute(MARKS, new long[] {System.nanoTime(), 0});
        }
    }

    @Override
    public void beforeTransmission(Context.BeforeTransmission context, ExecutionAttributes attributes) {
        long[] m = attributes.getAttribute(MARKS);
        if (m != null) {
            m[1] += System.nanoTime() - m[0];
        }
    }

    @Override
    public void afterTransmission(Context.AfterTransmission context, ExecutionAttributes attributes) {
        long[] m = attributes.getAttribute(MARKS);
        if (m != null) {
            m[0] = System.nanoTime();
        }
    }

    @Override
    public void afterExecution(Context.AfterExecution context, ExecutionAttributes attributes) {
        long[] m = attributes.getAttribute(MARKS);
        if (m != null) {
            Stages.record(Stage.UPLOAD_CLIENT, m[1] + System.nanoTime() - m[0]);
        }
    }
}
