package io.wcache.s3.http;

import io.wcache.core.metrics.Stage;
import io.wcache.core.metrics.Stages;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.wcache.s3.auth.AuthResult;
import io.wcache.s3.auth.SigV4Verifier;
import io.wcache.s3.checksum.ChecksumSpec;
import io.wcache.s3.checksum.PayloadVerifier;
import io.wcache.s3.chunked.AwsChunkedDecoder;
import io.wcache.s3.error.S3Error;
import io.wcache.s3.error.S3ErrorCode;
import io.wcache.s3.error.S3Exception;
import io.wcache.s3.request.RequestLimits;
import io.wcache.s3.request.S3Request;
import io.wcache.s3.request.S3RequestParser;
import io.wcache.s3.xml.S3XmlWriter;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns Netty's streamed HTTP request objects ({@code HttpServerCodec} output, never aggregated)
 * into {@link S3Message}s: it parses and authenticates the head, decodes aws-chunked bodies,
 * verifies every digest and signature, and streams the payload downstream as slices with
 * watermark backpressure ({@link PayloadFlow}). Failures before the head is delivered are
 * answered here with an S3 error document and the connection is closed (the body is not
 * drained); failures after it are passed down as {@link S3Message.Failed}. A request that
 * expects {@code 100 Continue} is invited to send its body only once it is authenticated, so
 * the pipeline must not contain Netty's {@code HttpServerExpectContinueHandler}.
 *
 * <p>One instance per channel; all state is confined to the channel's event loop.
 */
public final class S3RequestDecoder extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(S3RequestDecoder.class);
    /** Default high watermark of undelivered payload per connection. */
    public static final long DEFAULT_HIGH_WATERMARK = 4L << 20;
    /** Default low watermark. */
    public static final long DEFAULT_LOW_WATERMARK = 1L << 20;

    private enum State { IDLE, BODY, DISCARD }

    private final S3RequestParser parser;
    private final SigV4Verifier verifier;
    private java.util.function.Predicate<String> bucketExists = b -> true;
    private final long highWatermark;
    private final long lowWatermark;

    private State state = State.IDLE;
    private PayloadFlow flow;
    private String requestId;
    private AwsChunkedDecoder chunked;
    private PayloadVerifier payloadVerifier;
    /** The request whose body is being read, its payload limit and the payload bytes delivered so far. */
    private S3Request limitedRequest;
    private long payloadLimit;
    private long payloadBytes;

    public S3RequestDecoder(S3RequestParser parser, SigV4Verifier verifier) {
        this(parser, verifier, DEFAULT_HIGH_WATERMARK, DEFAULT_LOW_WATERMARK);
    }

    /**
     * Sets how the decoder learns whether a bucket exists, so that an unsigned request to a bucket
     * that does not exist is answered {@code 404 NoSuchBucket}, as S3 does, rather than
     * {@code 403 AccessDenied}. Without it every bucket is taken to exist.
     */
    public S3RequestDecoder withBucketCheck(java.util.function.Predicate<String> exists) {
        this.bucketExists = exists;
        return this;
    }

    private S3Error unsignedToMissingBucket(S3Request request, S3Error error) {
        if (request == null || error.code() != S3ErrorCode.ACCESS_DENIED || request.bucket().isEmpty()
                || request.headers().contains("Authorization") || request.query().has("X-Amz-Signature")
                || request.query().has("Signature")) {
            return error;
        }
        String bucket = request.bucket().get();
        return bucketExists.test(bucket) ? error : S3Error.of(S3ErrorCode.NO_SUCH_BUCKET, null, "/" + bucket);
    }

    public S3RequestDecoder(S3RequestParser parser, SigV4Verifier verifier, long highWatermark, long lowWatermark) {
        this.parser = parser;
        this.verifier = verifier;
        this.highWatermark = highWatermark;
        this.lowWatermark = lowWatermark;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        flow = new PayloadFlow(ctx.channel(), highWatermark, lowWatermark);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (msg instanceof HttpRequest req) {
                onHead(ctx, req);
            }
            if (msg instanceof HttpContent content) {
                onContent(ctx, content);
            }
            if (!(msg instanceof HttpRequest) && !(msg instanceof HttpContent)) {
                ctx.fireChannelRead(ReferenceCountUtil.retain(msg));
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    private void onHead(ChannelHandlerContext ctx, HttpRequest req) {
        requestId = newRequestId();
        if (state == State.BODY) {
            // The codec never starts a request before the previous one's last content.
            throw new IllegalStateException("request head while a body is in progress");
        }
        DecoderResult dr = req.decoderResult();
        if (dr.isFailure()) {
            rejectHead(ctx, req, S3Error.of(S3ErrorCode.INVALID_REQUEST, "Malformed HTTP request"));
            return;
        }
        S3Request request = null;
        AuthResult auth;
        try {
            long t0 = System.nanoTime();
            request = parser.parse(req.method().name(), req.uri(), req.headers());
            long t1 = System.nanoTime();
            auth = verifier.verify(request);
            Stages.record(Stage.S3_PARSE, t1 - t0);
            Stages.since(Stage.S3_AUTH, t1);
            RequestLimits.check(request);
            if (request.operation() == io.wcache.s3.request.S3Operation.NOT_IMPLEMENTED) {
                throw new S3Exception(S3Error.of(S3ErrorCode.NOT_IMPLEMENTED,
                        "This operation (" + req.method().name() + " with sub-resource "
                                + request.query().values().keySet() + ") is not implemented by wcache",
                        request.resource()));
            }
            // A CompleteMultipartUpload's x-amz-checksum-* names the completed object's checksum, not its body's.
            payloadVerifier = new PayloadVerifier(request.contentMd5(), auth.expectedPayloadSha256(),
                    request.operation() == io.wcache.s3.request.S3Operation.COMPLETE_MULTIPART_UPLOAD
                            ? java.util.Optional.empty() : ChecksumSpec.fromHeaders(request.headers()));
            chunked = auth.payloadMode().chunked()
                    ? new AwsChunkedDecoder(auth.payloadMode(), auth.streamingSigner(), request.decodedContentLength())
                    : null;
        } catch (S3Exception e) {
            rejectHead(ctx, req, unsignedToMissingBucket(request, e.error()));
            return;
        }
        state = State.BODY;
        payloadLimit = RequestLimits.maxPayload(request);
        payloadBytes = 0;
        limitedRequest = request;
        if (HttpUtil.is100ContinueExpected(req)) {
            // Only an authenticated, well-formed request is invited to send its body.
            ctx.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE,
                    Unpooled.EMPTY_BUFFER));
        }
        ctx.fireChannelRead(new S3Message.Head(requestId, request, auth, flow));
    }

    private void onContent(ChannelHandlerContext ctx, HttpContent content) {
        if (state == State.DISCARD || state == State.IDLE) {
            if (content instanceof LastHttpContent && state == State.DISCARD) {
                state = State.IDLE;
            }
            return;
        }
        try {
            ByteBuf in = content.content();
            if (content.decoderResult().isFailure()) {
                throw new S3Exception(S3ErrorCode.INCOMPLETE_BODY, null);
            }
            if (chunked != null) {
                chunked.feed(in, slice -> deliver(ctx, slice));
            } else if (in.isReadable()) {
                deliver(ctx, in.retainedSlice());
            }
            if (content instanceof LastHttpContent) {
                Map<String, String> trailers = chunked != null ? chunked.finish() : Map.of();
                var verified = payloadVerifier.finish(trailers);
                finishRequest();
                ctx.fireChannelRead(new S3Message.End(requestId, verified, trailers));
            }
        } catch (S3Exception e) {
            LOG.debug("event=s3_body_rejected request_id={} code={}", requestId, e.code().code());
            state = content instanceof LastHttpContent ? State.IDLE : State.DISCARD;
            chunked = null;
            payloadVerifier = null;
            flow.reset();
            ctx.fireChannelRead(new S3Message.Failed(requestId, e.error()));
        }
    }

    private void deliver(ChannelHandlerContext ctx, ByteBuf slice) {
        try {
            payloadBytes += slice.readableBytes();
            if (payloadBytes > payloadLimit) {
                // Only a body without a declared length gets here: a declared one was checked on the head.
                throw RequestLimits.tooLarge(limitedRequest, payloadLimit);
            }
            payloadVerifier.update(slice);
        } catch (RuntimeException e) {
            slice.release();
            throw e;
        }
        flow.delivered(slice.readableBytes());
        ctx.fireChannelRead(new S3Message.Content(requestId, slice));
    }

    private void finishRequest() {
        state = State.IDLE;
        chunked = null;
        payloadVerifier = null;
        flow.reset();
    }

    private void rejectHead(ChannelHandlerContext ctx, HttpRequest req, S3Error error) {
        LOG.debug("event=s3_request_rejected request_id={} code={}", requestId, error.code().code());
        state = State.DISCARD;
        if (req instanceof LastHttpContent) {
            state = State.IDLE;
        }
        String resource = error.resource().isEmpty() ? pathOf(req.uri()) : error.resource();
        FullHttpResponse resp = errorResponse(error.withResource(resource), requestId,
                req.method().name().equals("HEAD"));
        // The body (possibly large) is not drained: answer and close.
        resp.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        ctx.writeAndFlush(resp).addListener(ChannelFutureListener.CLOSE);
    }

    /** The HTTP response for an S3 error: status, XML document (none for HEAD), request id, Retry-After. */
    public static FullHttpResponse errorResponse(S3Error error, String requestId, boolean head) {
        byte[] body = head ? new byte[0] : S3XmlWriter.error(error, requestId);
        FullHttpResponse resp = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                HttpResponseStatus.valueOf(error.httpStatus()), Unpooled.wrappedBuffer(body));
        resp.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/xml")
                .set(HttpHeaderNames.CONTENT_LENGTH, body.length)
                .set("x-amz-request-id", requestId);
        error.retryAfter().ifPresent(d -> resp.headers().set(HttpHeaderNames.RETRY_AFTER, Math.max(1, d.toSeconds())));
        error.headers().forEach((k, v) -> resp.headers().set(k, v));
        return resp;
    }

    private static String pathOf(String uri) {
        int q = uri.indexOf('?');
        return q < 0 ? uri : uri.substring(0, q);
    }

    private static String newRequestId() {
        return Long.toHexString(ThreadLocalRandom.current().nextLong() | Long.MIN_VALUE).toUpperCase();
    }
}
