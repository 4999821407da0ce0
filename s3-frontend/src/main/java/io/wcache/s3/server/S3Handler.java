package io.wcache.s3.server;

import io.wcache.core.error.FailureCause;
import io.wcache.core.metrics.Stage;
import io.wcache.core.metrics.Stages;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.TimeUnit;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import io.wcache.core.cache.CacheService;
import io.wcache.core.cache.ListQuery;
import io.wcache.core.cache.ObjectInfo;
import io.wcache.core.cache.ObjectReader;
import io.wcache.core.cache.StandardHeaders;
import io.wcache.core.cache.WriteOptions;
import io.wcache.core.cache.WriteSession;
import io.wcache.core.error.WcacheException;
import io.wcache.core.path.NamespacePath;
import io.wcache.s3.error.ErrorContext;
import io.wcache.s3.error.S3Error;
import io.wcache.s3.error.S3ErrorCode;
import io.wcache.s3.error.S3ErrorTable;
import io.wcache.s3.error.S3Exception;
import io.wcache.s3.http.S3Message;
import io.wcache.s3.http.S3RequestDecoder;
import io.wcache.s3.request.ByteRange;
import io.wcache.s3.request.ListParams;
import io.wcache.s3.request.S3Request;
import io.wcache.s3.request.UserMetadata;
import io.wcache.s3.xml.S3Timestamps;
import io.wcache.s3.xml.S3XmlModel.BucketEntry;
import io.wcache.s3.xml.S3XmlModel.ListPage;
import io.wcache.s3.xml.S3XmlModel.ObjectEntry;
import io.wcache.s3.xml.S3XmlModel.Owner;
import io.wcache.s3.xml.S3XmlParser;
import io.wcache.s3.xml.S3XmlWriter;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves one connection's S3 requests from the {@link CacheService}. It receives the
 * {@link S3Message}s of {@link S3RequestDecoder}: for PutObject and UploadPart the payload
 * streams into a {@link WriteSession} (committed only on {@code End}, aborted on failure or a
 * lost connection); small XML bodies are collected (bounded); every other operation runs once
 * its request is complete. Cache futures are never waited on: their results continue on the
 * channel's event loop, which owns all state here.
 */
final class S3Handler extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(S3Handler.class);
    static final Owner OWNER = new Owner("wcache", "wcache");
    /** Payload is appended to a session in pieces of about this size (fewer, larger pipeline events). */
    static final int APPEND_BYTES = 512 * 1024;

    /** What all connections of one server share. */
    record Shared(CacheService cache, S3ServerConfig config, Instant startedAt, S3Access access) {
        Shared(CacheService cache, S3ServerConfig config, Instant startedAt) {
            this(cache, config, startedAt, new S3Access(cache, config.auth()));
        }
    }

    private final Shared shared;
    private final CacheService cache;
    private ChannelHandlerContext ctx;
    /** The body consumer of the request in progress; null between requests. */
    private BodySink sink;
    /** The GET body being streamed, if any. */
    private BodyStreamer streamer;
    /**
     * The request is complete and its operation is running (a commit, a WRITE_THROUGH upload, a
     * copy): the connection is silent because of us, not the client, so the idle timeout waits.
     */
    private boolean working;

    S3Handler(Shared shared) {
        this.shared = shared;
        this.cache = shared.cache();
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof S3Message.Head head) {
            onHead(head);
        } else if (msg instanceof S3Message.Content content) {
            if (sink != null) {
                sink.content(content.content());
            } else {
                content.release();
            }
        } else if (msg instanceof S3Message.End end) {
            if (sink != null) {
                working = true;
                sink.end(end);
            }
        } else if (msg instanceof S3Message.Failed failed) {
            if (sink != null) {
                BodySink s = sink;
                s.failed(failed.error());
            }
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (sink != null) {
            sink.connectionLost();
            sink = null;
        }
        if (streamer != null) {
            streamer.close();
            streamer = null;
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (streamer != null && ctx.channel().isWritable()) {
            streamer.pump();
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent) {
            if (working) {
                return;
            }
            LOG.debug("event=s3_connection_idle remote={}", ctx.channel().remoteAddress());
            ctx.close();
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.debug("event=s3_connection_error remote={} error={}", ctx.channel().remoteAddress(), cause.toString());
        ctx.close();
    }

    // ------------------------------------------------------------------ dispatch

    private void onHead(S3Message.Head head) {
        S3Request r = head.request();
        Exchange x = new Exchange(head);
        try {
            // Every operation runs only once the ACLs allow it (S3Access); the check is a future, as it may read them.
            CompletableFuture<Void> allowed;
            try {
                allowed = shared.access().authorize(r, x.user(), this);
            } catch (RuntimeException e) {
                allowed = CompletableFuture.failedFuture(e);
            }
            CompletableFuture<Void> ok = allowed;
            sink = switch (r.operation()) {
                case PUT_OBJECT -> {
                    S3Operations op = ops(x);
                    yield new UploadSink(x, op, ok.thenCompose(v -> op.openPutObject()));
                }
                case UPLOAD_PART -> {
                    S3Operations op = ops(x);
                    yield new UploadSink(x, op, ok.thenCompose(v -> op.openUploadPart()));
                }
                case DELETE_OBJECTS -> new CollectingSink(x, body -> ok.thenCompose(v -> ops(x).deleteObjects(body)));
                case COMPLETE_MULTIPART_UPLOAD -> new CollectingSink(x, body -> ok.thenCompose(
                        v -> ops(x).completeMultipart(body)));
                case LIST_OBJECT_VERSIONS, GET_BUCKET_VERSIONING, PUT_BUCKET_VERSIONING, GET_BUCKET_ACL, PUT_BUCKET_ACL,
                        GET_BUCKET_CONFIG, PUT_BUCKET_CONFIG, DELETE_BUCKET_CONFIG, GET_OBJECT_TAGGING, PUT_OBJECT_TAGGING,
                        DELETE_OBJECT_TAGGING, GET_OBJECT_ACL, PUT_OBJECT_ACL, GET_OBJECT_ATTRIBUTES, GET_BUCKET_POLICY,
                        PUT_BUCKET_POLICY, DELETE_BUCKET_POLICY, GET_BUCKET_POLICY_STATUS ->
                        new CollectingSink(x, body -> ok.thenCompose(v -> new S3SubResources(shared, x, this).run(body)));
                case CREATE_BUCKET -> new CollectingSink(x, body -> ok.thenCompose(v -> ops(x).createBucket(body)));
                default -> new CollectingSink(x, body -> ok.thenCompose(v -> ops(x).run()));
            };
        } catch (RuntimeException e) {
            // The request is answered when its body has been read, so the connection stays usable.
            sink = new CollectingSink(x, body -> CompletableFuture.failedFuture(e));
        }
    }

    private S3Operations ops(Exchange x) {
        return new S3Operations(shared, x, this);
    }

    /** The namespace path of the request's object; {@code NoSuchBucket} when the bucket is not a mount. */
    NamespacePath objectPath(S3Request r) {
        return objectPath(r.bucket().orElse(""), r.key().orElse(""));
    }

    NamespacePath objectPath(String bucket, String key) {
        requireBucket(bucket);
        if (io.wcache.core.path.ObjectVersions.isReservedKey(key)) {
            throw new S3Exception(S3Error.of(S3ErrorCode.INVALID_ARGUMENT, unstorableKey(key, "the first segment '"
                    + io.wcache.core.path.ObjectVersions.RESERVED_SEGMENT + "' is reserved for the bucket's object"
                    + " versions"), "/" + bucket + "/" + key));
        }
        try {
            return NamespacePath.of("/" + bucket + "/" + key);
        } catch (io.wcache.core.error.WcacheException.InvalidPath e) {
            throw new S3Exception(S3Error.of(S3ErrorCode.INVALID_ARGUMENT, unstorableKey(key, e.getMessage()),
                    "/" + bucket + "/" + key));
        }
    }

    /** The message of {@code 400 InvalidArgument} for a key the namespace cannot hold (docs/S3-COMPATIBILITY.md). */
    static String unstorableKey(String key, String why) {
        String shown = key.length() > 200 ? key.substring(0, 200) + "..." : key;
        return "Object key '" + shown + "' cannot be stored: " + why + ". Keys are paths shared with the file"
                + " system: they must not start with '/' nor contain an empty ('//'), '.' or '..' segment,"
                + " and each segment is at most 255 bytes";
    }

    /** The client's IP address (aws:SourceIp of bucket policies). */
    Optional<String> remoteIp() {
        return ctx != null && ctx.channel().remoteAddress() instanceof java.net.InetSocketAddress a
                && a.getAddress() != null ? Optional.of(a.getAddress().getHostAddress()) : Optional.empty();
    }

    /** Whether the connection is TLS (aws:SecureTransport of bucket policies). */
    boolean secure() {
        return ctx != null && ctx.pipeline().get(io.netty.handler.ssl.SslHandler.class) != null;
    }

    void requireBucket(String bucket) {
        if (bucket.isEmpty() || bucket.indexOf('/') >= 0 || cache.mounts().find(bucket).isEmpty()) {
            throw new S3Exception(S3Error.of(S3ErrorCode.NO_SUCH_BUCKET, null, "/" + bucket));
        }
    }

    static WriteOptions writeOptions(S3Request r) {
        boolean ifNoneMatchAny = r.conditions().ifNoneMatch().contains("*");
        return new WriteOptions(r.contentType().orElse(null), storedMetadata(r.userMetadata()), Optional.empty(),
                ifNoneMatchAny, r.standardHeaders(), r.conditions().ifMatch(),
                S3Tags.fromHeader(r.headers().get("x-amz-tagging")));
    }

    /**
     * User metadata is kept in its header form: ASCII values as sent, others as one RFC 2047
     * encoded-word. That is what S3 stores and returns, and what the UFS (an S3 store) accepts.
     */
    static Map<String, String> storedMetadata(Map<String, String> decoded) {
        Map<String, String> out = new java.util.LinkedHashMap<>();
        decoded.forEach((k, v) -> out.put(k, UserMetadata.encodeValue(v)));
        return out;
    }

    // ------------------------------------------------------------------ responses

    /** The state of one request: its head and whether it was answered. */
    static final class Exchange {
        final S3Message.Head head;
        final S3Request request;
        final long startNanos = System.nanoTime();
        boolean answered;

        Exchange(S3Message.Head head) {
            this.head = head;
            this.request = head.request();
        }

        String requestId() {
            return head.requestId();
        }

        /** Who the request acts for. */
        io.wcache.s3.auth.S3User user() {
            return head.auth().user();
        }

        boolean isHead() {
            return request.method().equals("HEAD");
        }
    }

    /** Answers with a complete response (XML or empty). Must run on the event loop. */
    void respond(Exchange x, FullHttpResponse resp) {
        long t0 = System.nanoTime();
        if (x.answered) {
            resp.release();
            return;
        }
        answering(x, resp);
        if (!resp.headers().contains(HttpHeaderNames.CONTENT_LENGTH)) {
            resp.headers().set(HttpHeaderNames.CONTENT_LENGTH, resp.content().readableBytes());
        }
        if (!ctx.channel().isActive()) {
            resp.release();
            return;
        }
        var f = ctx.writeAndFlush(resp);
        if (!keepAlive(x)) {
            f.addListener(ChannelFutureListener.CLOSE);
        }
        Stages.since(Stage.S3_RESPONSE, t0);
    }

    /**
     * Starts a streamed response: the head once the first piece of the body is read (a failure to
     * read it is answered as an error), the body from {@code reader} as the channel drains.
     */
    void respondStreaming(Exchange x, HttpResponse head, ObjectReader reader, long offset, long length) {
        if (x.answered || !ctx.channel().isActive()) {
            reader.close();
            return;
        }
        streamer = new BodyStreamer(ctx, reader, offset, length, keepAlive(x), () -> streamer = null, () -> {
            answering(x, head);
            HttpHeaders.setContentLength(head, length);
            ctx.write(head);
        }, failure -> respondError(x, failure));
        streamer.pump();
    }

    /** {@code x} is answered with {@code head} now: the connection may take its next request. */
    private void answering(Exchange x, HttpResponse head) {
        x.answered = true;
        working = false;
        if (sink != null && sink.exchange() == x) {
            sink = null;
        }
        decorate(x, head);
        record(x, head.status().code());
    }

    void respondError(Exchange x, Throwable failure) {
        S3Error error = toS3Error(x, failure);
        FullHttpResponse resp = S3RequestDecoder.errorResponse(error, x.requestId(), x.isHead());
        respond(x, resp);
    }

    /** Name of the timer of answered requests, tagged by operation and status class. */
    static final String REQUESTS_METRIC = "wcache.s3.requests";

    /**
     * Records one answered request: from its head's arrival until its response head is sent (for
     * a streamed GET, the time to first byte). Requests refused by the decoder before dispatch
     * (malformed, bad signature) are not counted here.
     */
    private static void record(Exchange x, int status) {
        Timer.builder(REQUESTS_METRIC)
                .description("S3 requests by operation and status class, until the response head is sent")
                .tag("operation", x.request.operation().name())
                .tag("status", (status / 100) + "xx")
                .register(Metrics.globalRegistry)
                .record(System.nanoTime() - x.startNanos, TimeUnit.NANOSECONDS);
    }

    private static void decorate(Exchange x, HttpResponse resp) {
        resp.headers().set("x-amz-request-id", x.requestId())
                .set("x-amz-id-2", x.requestId())
                .set(HttpHeaderNames.DATE, S3Timestamps.rfc1123(Instant.now()))
                .set(HttpHeaderNames.SERVER, "wcache");
        if (!keepAlive(x)) {
            resp.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
    }

    private static boolean keepAlive(Exchange x) {
        String c = x.request.headers().get(HttpHeaderNames.CONNECTION);
        return c == null || !c.equalsIgnoreCase("close");
    }

    static FullHttpResponse xml(HttpResponseStatus status, byte[] body) {
        FullHttpResponse resp = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(body));
        resp.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/xml");
        return resp;
    }

    static FullHttpResponse empty(HttpResponseStatus status) {
        return new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.EMPTY_BUFFER);
    }

    static HttpResponse streamingHead(HttpResponseStatus status) {
        return new DefaultHttpResponse(HttpVersion.HTTP_1_1, status);
    }

    /** The S3 error for any failure of an operation; unexpected failures are logged and become InternalError. */
    S3Error toS3Error(Exchange x, Throwable failure) {
        Throwable t = unwrap(failure);
        S3Request r = x.request;
        if (t instanceof S3Exception s3) {
            S3Error e = s3.error();
            return e.resource().isEmpty() ? e.withResource(r.resource()) : e;
        }
        if (t instanceof WcacheException w) {
            return S3ErrorTable.toS3(w, errorContext(r), r.resource());
        }
        LOG.warn("event=s3_internal_error request_id={} op={} error={}", x.requestId(), r.operation(), t.toString(), t);
        return S3Error.of(S3ErrorCode.INTERNAL_ERROR, null, r.resource());
    }

    private static ErrorContext errorContext(S3Request r) {
        return switch (r.operation()) {
            // A listing names an existing bucket (checked first); its argument errors are not bucket-name errors.
            case LIST_OBJECTS, LIST_OBJECTS_V2, DELETE_OBJECTS -> ErrorContext.OBJECT;
            default -> r.errorContext();
        };
    }

    static Throwable unwrap(Throwable e) {
        return FailureCause.of(e);
    }

    /** Runs {@code then} on this connection's event loop when {@code f} completes. */
    <T> void onLoop(CompletableFuture<T> f, Exchange x, java.util.function.Consumer<T> then) {
        f.whenCompleteAsync((v, e) -> {
            if (e != null) {
                respondError(x, e);
                return;
            }
            try {
                then.accept(v);
            } catch (RuntimeException ex) {
                respondError(x, ex);
            }
        }, ctx.executor());
    }

    ChannelHandlerContext ctx() {
        return ctx;
    }

    // ------------------------------------------------------------------ body sinks

    /** Consumes one request's payload and answers it. */
    private interface BodySink {
        Exchange exchange();

        void content(ByteBuf payload);

        void end(S3Message.End end);

        void failed(S3Error error);

        void connectionLost();
    }

    /**
     * Collects a small body (XML documents; nothing for body-less operations), bounded by
     * {@link S3XmlParser#MAX_BODY_BYTES}, then runs the operation.
     */
    private final class CollectingSink implements BodySink {
        private final Exchange x;
        private final Function<byte[], CompletableFuture<FullHttpResponse>> op;
        private CompositeByteBuf body;
        private boolean tooLarge;

        CollectingSink(Exchange x, Function<byte[], CompletableFuture<FullHttpResponse>> op) {
            this.x = x;
            this.op = op;
        }

        @Override
        public Exchange exchange() {
            return x;
        }

        @Override
        public void content(ByteBuf payload) {
            int n = payload.readableBytes();
            x.head.flow().consumed(n);
            if (tooLarge || !x.request.operation().hasXmlBody()) {
                payload.release();
                return;
            }
            if (body == null) {
                body = ctx.alloc().compositeBuffer(Integer.MAX_VALUE);
            }
            if (body.readableBytes() + n > S3XmlParser.MAX_BODY_BYTES) {
                tooLarge = true;
                payload.release();
                body.release();
                body = null;
                return;
            }
            body.addComponent(true, payload);
        }

        @Override
        public void end(S3Message.End end) {
            if (tooLarge) {
                respondError(x, new S3Exception(S3ErrorCode.MALFORMED_XML, "The XML body is larger than allowed"));
                return;
            }
            byte[] bytes = new byte[body == null ? 0 : body.readableBytes()];
            if (body != null) {
                body.readBytes(bytes);
                body.release();
                body = null;
            }
            CompletableFuture<FullHttpResponse> f;
            try {
                f = op.apply(bytes);
            } catch (RuntimeException e) {
                f = CompletableFuture.failedFuture(e);
            }
            onLoop(f, x, resp -> {
                if (resp != null) {
                    respond(x, resp);
                }
            });
        }

        @Override
        public void failed(S3Error error) {
            release();
            respondError(x, error.toException());
        }

        @Override
        public void connectionLost() {
            release();
        }

        private void release() {
            if (body != null) {
                body.release();
                body = null;
            }
        }
    }

    /**
     * Streams a PutObject or UploadPart payload into the write session its operation opened
     * ({@link S3Operations#openPutObject}, {@link S3Operations#openUploadPart}) and has the
     * operation commit it ({@link S3Operations#commitUpload}): slices are coalesced into
     * appends of about {@link #APPEND_BYTES}, chained one after another; each slice is released
     * and reported consumed (re-enabling socket reads) once its append completed. Nothing is
     * committed before {@code End}: until then slices are provisional (an aws-chunked chunk's
     * signature follows its data), and on any failure the session is aborted.
     */
    private final class UploadSink implements BodySink {
        private final Exchange x;
        private final S3Operations op;
        private final CompletableFuture<WriteSession> opened;
        private CompletableFuture<WriteSession> tail;
        private CompositeByteBuf pending;
        private boolean finished;

        UploadSink(Exchange x, S3Operations op, CompletableFuture<WriteSession> opened) {
            this.x = x;
            this.op = op;
            this.opened = opened;
            this.tail = opened;
        }

        @Override
        public Exchange exchange() {
            return x;
        }

        @Override
        public void content(ByteBuf payload) {
            if (finished) {
                x.head.flow().consumed(payload.readableBytes());
                payload.release();
                return;
            }
            if (pending == null) {
                pending = ctx.alloc().compositeBuffer(Integer.MAX_VALUE);
            }
            pending.addComponent(true, payload);
            if (pending.readableBytes() >= APPEND_BYTES) {
                flush();
            }
        }

        private void flush() {
            if (pending == null || !pending.isReadable()) {
                return;
            }
            CompositeByteBuf buf = pending;
            pending = null;
            int n = buf.readableBytes();
            var flow = x.head.flow();
            java.util.function.Function<WriteSession, CompletableFuture<WriteSession>> append = s -> {
                // The buffer stays untouched until the appends complete (WriteSession's contract). Its
                // components are appended one by one: the session copies them anyway, so gathering
                // them into one array first was a second copy of the body.
                CompletableFuture<Void> done = null;
                for (ByteBuffer nio : buf.nioBuffers()) {
                    CompletableFuture<Void> f = s.append(nio);
                    done = done == null ? f : done.thenCombine(f, (a, b) -> null);
                }
                return done == null ? CompletableFuture.completedFuture(s) : done.thenApply(v -> s);
            };
            // A previous append still settling completes on the write pipeline's thread: the next
            // append (its copy and checksum) then runs on this connection's event loop, not there.
            tail = tail.isDone() ? tail.thenCompose(append) : tail.thenComposeAsync(append, ctx.executor());
            tail.whenComplete((s, e) -> {
                buf.release();
                flow.consumed(n);
            });
        }

        @Override
        public void end(S3Message.End end) {
            Stages.since(Stage.S3_BODY, x.startNanos);
            flush();
            finished = true;
            CompletableFuture<FullHttpResponse> committed = tail.thenCompose(s -> op.commitUpload(s, end.payload()));
            committed.whenCompleteAsync((resp, e) -> {
                if (e != null) {
                    abortQuietly();
                    respondError(x, e);
                    return;
                }
                respond(x, resp);
            }, ctx.executor());
        }

        @Override
        public void failed(S3Error error) {
            finished = true;
            releasePending();
            abortQuietly();
            respondError(x, error.toException());
        }

        @Override
        public void connectionLost() {
            finished = true;
            releasePending();
            abortQuietly();
        }

        private void releasePending() {
            if (pending != null) {
                pending.release();
                pending = null;
            }
        }

        private void abortQuietly() {
            // Abort after the last append settled; abort is idempotent and a no-op after commit.
            tail.handle((s, e) -> null).thenCompose(v -> opened.handle((s, e) -> s))
                    .thenCompose(s -> s == null ? CompletableFuture.completedFuture(null) : s.abort())
                    .exceptionally(e -> {
                        LOG.debug("event=s3_abort_failed request_id={} error={}", x.requestId(), e.toString());
                        return null;
                    });
        }
    }

    static String quote(String etag) {
        return etag.startsWith("\"") ? etag : "\"" + etag + "\"";
    }

    // ------------------------------------------------------------------ shared helpers for operations

    static void objectHeaders(HttpHeaders h, ObjectInfo info) {
        h.set(HttpHeaderNames.ETAG, quote(info.etag()))
                .set(HttpHeaderNames.LAST_MODIFIED, S3Timestamps.rfc1123(info.lastModified()))
                .set(HttpHeaderNames.CONTENT_TYPE, info.contentType())
                .set(HttpHeaderNames.ACCEPT_RANGES, "bytes");
        for (Map.Entry<String, String> m : info.userMetadata().entrySet()) {
            h.set(UserMetadata.PREFIX + m.getKey(), UserMetadata.responseValue(m.getValue()));
        }
        info.standardHeaders().forEach((name, value) -> h.set(RESPONSE_NAMES.get(name),
                name.equals(StandardHeaders.EXPIRES) ? expires(value) : value));
        if (!info.tags().isEmpty()) {
            h.set("x-amz-tagging-count", info.tags().size());
        }
        if (!info.versionId().isEmpty()) {
            h.set(S3Versions.VERSION_ID_HEADER, info.versionId());
        }
    }

    /** Header names as S3 writes them, by {@link StandardHeaders} name. */
    private static final Map<String, String> RESPONSE_NAMES = Map.of(
            StandardHeaders.CACHE_CONTROL, "Cache-Control",
            StandardHeaders.CONTENT_DISPOSITION, "Content-Disposition",
            StandardHeaders.CONTENT_ENCODING, "Content-Encoding",
            StandardHeaders.CONTENT_LANGUAGE, "Content-Language",
            StandardHeaders.EXPIRES, "Expires");

    /** A stored Expires in RFC 1123 form when it is an HTTP date; otherwise as the client sent it (as S3). */
    static String expires(String stored) {
        return S3Timestamps.parseHttpDate(stored).map(S3Timestamps::rfc1123).orElse(stored);
    }

    static ListPage page(java.util.List<ObjectInfo> objects, java.util.List<String> prefixes, boolean truncated,
                         Optional<String> next) {
        return new ListPage(objects.stream()
                .map(o -> new ObjectEntry(o.path().relativeToMount(), o.lastModified(), quote(o.etag()), o.size(),
                        "STANDARD"))
                .toList(), prefixes, truncated, next);
    }

    static ListQuery listQuery(NamespacePath mount, ListParams p, String startAfter, Optional<String> token) {
        return new ListQuery(mount, p.prefix(), p.delimiter().orElse(""), startAfter, p.maxKeys(), token);
    }

    static BucketEntry bucketEntry(String name, Instant created) {
        return new BucketEntry(name, created);
    }

    static Optional<ByteRange.Span> span(Optional<ByteRange> range, long size) {
        return range.map(r -> r.resolve(size));
    }
}
