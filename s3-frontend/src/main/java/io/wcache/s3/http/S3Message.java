package io.wcache.s3.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.DefaultByteBufHolder;
import io.wcache.s3.auth.AuthResult;
import io.wcache.s3.checksum.VerifiedPayload;
import io.wcache.s3.error.S3Error;
import io.wcache.s3.request.S3Request;
import java.util.Map;
import java.util.Objects;

/**
 * What {@link S3RequestDecoder} passes down the pipeline for each request: one {@link Head}, then
 * zero or more {@link Content} slices of the decoded payload, then exactly one of {@link End}
 * (every digest verified; the write may be committed) or {@link Failed} (abort; the handler that
 * received the head answers with the error).
 */
public sealed interface S3Message {

    /** The request id, echoed in {@code x-amz-request-id} and error documents. */
    String requestId();

    /** A parsed and authenticated request; its payload follows. */
    record Head(String requestId, S3Request request, AuthResult auth, PayloadFlow flow) implements S3Message {
        public Head {
            Objects.requireNonNull(request, "request");
            Objects.requireNonNull(auth, "auth");
            Objects.requireNonNull(flow, "flow");
        }
    }

    /**
     * A slice of decoded payload. The receiver owns the buffer (release it) and reports it
     * consumed through {@link Head#flow()} once it no longer holds it in memory, which is what
     * re-enables reading from the socket.
     */
    final class Content extends DefaultByteBufHolder implements S3Message {
        private final String requestId;

        public Content(String requestId, ByteBuf payload) {
            super(payload);
            this.requestId = requestId;
        }

        @Override
        public String requestId() {
            return requestId;
        }
    }

    /** The payload is complete and matched every digest and signature it announced. */
    record End(String requestId, VerifiedPayload payload, Map<String, String> trailers) implements S3Message {
        public End {
            trailers = Map.copyOf(trailers);
        }
    }

    /** The payload failed verification or framing after the head was delivered; abort and answer {@code error}. */
    record Failed(String requestId, S3Error error) implements S3Message {
    }
}
