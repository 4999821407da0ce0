package io.wcache.persister.ufs;

import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.http.SdkHttpRequest;

/**
 * Drops the {@code Expect: 100-continue} the SDK puts on every PutObject and UploadPart when the body
 * is smaller than {@link #THRESHOLD}. The handshake (headers, wait for the store's 100 Continue, then
 * the body) saves sending a large body the store would refuse; for a small one it costs a round trip
 * and a response more per upload than the body itself. curl draws the line at 1 MiB too.
 */
final class SmallBodyNoExpect implements ExecutionInterceptor {

    /** Bodies of at least this many bytes keep the handshake. */
    static final long THRESHOLD = 1 << 20;

    @Override
    public SdkHttpRequest modifyHttpRequest(Context.ModifyHttpRequest context, ExecutionAttributes attributes) {
        SdkHttpRequest request = context.httpRequest();
        if (request.firstMatchingHeader("Expect").isEmpty()) {
            return request;
        }
        long length = request.firstMatchingHeader("Content-Length").map(Long::parseLong).orElse(Long.MAX_VALUE);
        return length < THRESHOLD ? request.toBuilder().removeHeader("Expect").build() : request;
    }
}
