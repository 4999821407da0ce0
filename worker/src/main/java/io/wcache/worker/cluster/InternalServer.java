package io.wcache.worker.cluster;

import com.google.protobuf.ByteString;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.wcache.core.cache.ObjectReader;
import io.wcache.core.cache.WriteSession;
import io.wcache.core.path.NamespacePath;
import io.wcache.schema.catalog.Extent;
import io.wcache.worker.cache.ReaderPins;
import io.wcache.worker.cache.WorkerCacheService;
import io.wcache.worker.cluster.proto.ClusterMessages;
import io.wcache.worker.cluster.proto.ClusterMessages.Request;
import io.wcache.worker.cluster.proto.ClusterMessages.Response;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The receiving side of the internal transport: serves operations other workers forward to this
 * one from its own {@link WorkerCacheService} (never forwarding again, so a request travels one
 * hop at most). One connection carries one operation: a read (open, then reads) or a write
 * (create or upload-part, appends in order, then commit or abort); a connection that closes
 * before its write committed aborts it. {@code release} messages hand back extents of this worker
 * that another worker retired.
 */
public final class InternalServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(InternalServer.class);

    private final WorkerCacheService cache;
    private final Replication replication;
    private final ReplicaKeeper keeper;
    private final ReaderPins pins;
    private final String workerId;
    private final EventLoopGroup boss;
    private final EventLoopGroup loops;
    private final Channel server;
    /** Runs an eviction and compaction pass off the event loop; the segment bytes it freed. */
    private volatile java.util.function.Supplier<CompletableFuture<Long>> reclaimer =
            () -> CompletableFuture.completedFuture(0L);

    private InternalServer(WorkerCacheService cache, Replication replication, ReplicaKeeper keeper, ReaderPins pins,
                           String workerId, InetSocketAddress bind) {
        this.cache = cache;
        this.replication = replication;
        this.keeper = keeper;
        this.pins = pins;
        this.workerId = workerId;
        this.boss = new NioEventLoopGroup(1, daemon("wcache-internal-accept-" + workerId));
        this.loops = new NioEventLoopGroup(2, daemon("wcache-internal-" + workerId));
        ServerBootstrap b = new ServerBootstrap().group(boss, loops).channel(NioServerSocketChannel.class)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        Framing.install(ch.pipeline(), Request.getDefaultInstance());
                        ch.pipeline().addLast("serve", new Served());
                    }
                });
        try {
            this.server = b.bind(bind).sync().channel();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            close();
            throw new IllegalStateException("interrupted while binding " + bind, e);
        } catch (RuntimeException e) {
            shutdownLoops();
            throw new IllegalStateException("cannot listen on cluster.internal.address " + bind + ": " + e.getMessage(), e);
        }
    }

    /** Listens on {@code bind} (port 0: any free port). */
    static InternalServer start(WorkerCacheService cache, Replication replication, ReplicaKeeper keeper,
                                ReaderPins pins, String workerId, InetSocketAddress bind) {
        InternalServer s = new InternalServer(cache, replication, keeper, pins, workerId, bind);
        LOG.info("event=internal_transport_started worker={} address={}", workerId, s.addressText());
        return s;
    }

    /** What a release asking for an immediate reclaim runs (the worker's log store pass, on its I/O executor). */
    void reclaimWith(java.util.function.Supplier<CompletableFuture<Long>> reclaimer) {
        this.reclaimer = reclaimer;
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) server.localAddress();
    }

    public String addressText() {
        return address().getHostString() + ":" + address().getPort();
    }

    static ThreadFactory daemon(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    @Override
    public void close() {
        if (server != null) {
            server.close().syncUninterruptibly();
        }
        shutdownLoops();
    }

    private void shutdownLoops() {
        boss.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS);
        loops.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** One connection: one forwarded operation. Netty calls it on the connection's event loop. */
    private final class Served extends SimpleChannelInboundHandler<Request> {
        private CompletableFuture<WriteSession> session;
        /** A replica copy this connection writes (instead of a session), and whether it was sealed. */
        private io.wcache.worker.cache.CopyWriteSession copy;
        private boolean sealed;
        private long copyOfFileId;
        /** Appends, then the commit, run in arrival order: each waits for the one before. */
        private CompletableFuture<?> tail = CompletableFuture.completedFuture(null);
        private boolean finished;
        private ObjectReader reader;

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, Request req) {
            long id = req.getId();
            switch (req.getOpCase()) {
                case OPEN -> answer(ctx, id, cache.open(NamespacePath.of(req.getOpen())).thenApply(r -> {
                    reader = r;
                    return Response.newBuilder().setInfo(Wire.info(r.info()));
                }));
                case READ -> {
                    if (reader == null) {
                        fail(ctx, id, "read before open");
                        return;
                    }
                    answer(ctx, id, reader.read(req.getRead().getOffset(), req.getRead().getLength())
                            .thenApply(buf -> Response.newBuilder().setData(ByteString.copyFrom(buf.duplicate()))));
                }
                case CREATE -> {
                    // The owner of a forwarded write keeps the copies its rule asks for, as for a write of its own.
                    session = replication.create(NamespacePath.of(req.getCreate().getPath()),
                            Wire.options(req.getCreate().getOptions()));
                    answer(ctx, id, session.thenApply(s -> Response.newBuilder().setOk(true)));
                }
                case UPLOAD_PART -> {
                    ClusterMessages.UploadPart p = req.getUploadPart();
                    session = cache.uploadPart(NamespacePath.of(p.getPath()), p.getUploadId(), p.getPartNumber());
                    answer(ctx, id, session.thenApply(s -> Response.newBuilder().setOk(true)));
                }
                case COPY -> {
                    ClusterMessages.CopyOpen o = req.getCopy();
                    copyOfFileId = o.getFileId();
                    try {
                        copy = cache.openCopy(NamespacePath.of(o.getPath()),
                                io.wcache.core.policy.WritePolicy.valueOf(o.getPolicy()), o.getFileId());
                    } catch (RuntimeException e) {
                        answer(ctx, id, CompletableFuture.failedFuture(e));
                        return;
                    }
                    answer(ctx, id, CompletableFuture.completedFuture(Response.newBuilder().setOk(true)));
                }
                case SEAL -> {
                    if (copy == null) {
                        fail(ctx, id, "seal before copy");
                        return;
                    }
                    io.wcache.worker.cache.CopyWriteSession c = copy;
                    CompletableFuture<?> before = tail;
                    answer(ctx, id, before.exceptionally(e -> null).thenCompose(v -> c.seal(req.getSeal()))
                            .thenApply(copyId -> {
                                sealed = true;
                                return Response.newBuilder().setCopyFileId(copyId);
                            }));
                }
                case OPEN_COPY -> answer(ctx, id, cache.openCopy(NamespacePath.of(req.getOpenCopy())).thenApply(r -> {
                    reader = r;
                    return Response.newBuilder().setInfo(Wire.info(r.info()));
                }));
                case APPEND -> {
                    if (copy != null) {
                        io.wcache.worker.cache.CopyWriteSession c = copy;
                        ByteBuffer bytes = req.getAppend().asReadOnlyByteBuffer();
                        CompletableFuture<Void> f = tail.exceptionally(e -> null).thenCompose(v -> c.append(bytes));
                        tail = f;
                        answer(ctx, id, f.thenApply(v -> Response.newBuilder().setOk(true)));
                        return;
                    }
                    if (session == null) {
                        fail(ctx, id, "append before create");
                        return;
                    }
                    ByteBuffer bytes = req.getAppend().asReadOnlyByteBuffer();
                    CompletableFuture<Void> f = session.thenCompose(s -> tail.exceptionally(e -> null)
                            .thenCompose(v -> s.append(bytes)));
                    tail = f;
                    answer(ctx, id, f.thenApply(v -> Response.newBuilder().setOk(true)));
                }
                case COMMIT -> {
                    if (session == null) {
                        fail(ctx, id, "commit before create");
                        return;
                    }
                    finished = true;
                    CompletableFuture<?> before = tail;
                    java.util.Optional<io.wcache.core.cache.ObjectChecksum> checksum = req.getCommit().hasChecksum()
                            ? java.util.Optional.of(Wire.checksum(req.getCommit().getChecksum()))
                            : java.util.Optional.empty();
                    answer(ctx, id, session.thenCompose(s -> before.thenCompose(v -> s.commit(checksum)))
                            .thenApply(info -> Response.newBuilder().setInfo(Wire.info(info))));
                }
                case ABORT -> {
                    finished = true;
                    if (copy != null) {
                        answer(ctx, id, copy.abort().thenApply(v -> Response.newBuilder().setOk(true)));
                        return;
                    }
                    answer(ctx, id, session == null ? CompletableFuture.completedFuture(Response.newBuilder().setOk(true))
                            : session.thenCompose(WriteSession::abort).thenApply(v -> Response.newBuilder().setOk(true)));
                }
                case COMPLETE_MULTIPART -> {
                    ClusterMessages.CompleteMultipart m = req.getCompleteMultipart();
                    List<io.wcache.core.cache.PartRef> parts = m.getPartsList().stream()
                            .map(x -> new io.wcache.core.cache.PartRef(x.getPartNumber(), x.getEtag())).toList();
                    java.util.Optional<io.wcache.core.cache.ObjectChecksum> checksum = m.hasChecksum()
                            ? java.util.Optional.of(Wire.checksum(m.getChecksum())) : java.util.Optional.empty();
                    answer(ctx, id, cache.completeMultipart(NamespacePath.of(m.getPath()), m.getUploadId(), parts, checksum)
                            .thenApply(info -> Response.newBuilder().setInfo(Wire.info(info))));
                }
                case RELEASE -> {
                    List<Extent> extents = Wire.extents(req.getRelease(), workerId);
                    extents.stream().collect(Collectors.groupingBy(Extent::fileId)).forEach(pins::retire);
                    LOG.debug("event=extents_released_for_peer worker={} extents={}", workerId, extents.size());
                    if (!req.getRelease().getReclaimNow()) {
                        answer(ctx, id, CompletableFuture.completedFuture(Response.newBuilder().setOk(true)));
                        return;
                    }
                    long released = extents.stream().mapToLong(Extent::length).sum();
                    answer(ctx, id, reclaimer.get().thenApply(freed -> Response.newBuilder().setReclaimed(
                            ClusterMessages.Reclaimed.newBuilder().setReleasedBytes(released).setFreedBytes(freed))));
                }
                default -> fail(ctx, id, "unknown operation " + req.getOpCase());
            }
        }

        private void answer(ChannelHandlerContext ctx, long id, CompletableFuture<Response.Builder> f) {
            f.whenComplete((r, e) -> {
                Response out = e == null ? r.setId(id).build()
                        : Response.newBuilder().setId(id).setFailure(Wire.failure(e)).build();
                ctx.writeAndFlush(out);
            });
        }

        private void fail(ChannelHandlerContext ctx, long id, String why) {
            ctx.writeAndFlush(Response.newBuilder().setId(id).setFailure(ClusterMessages.Failure.newBuilder()
                    .setKind("INVALID_ARGUMENT").setMessage("internal transport: " + why)).build());
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (copy != null && sealed) {
                // The writing worker closes the connection once its commit is decided (or it died): from
                // now on the keeper drops the copy when the version does not need it. Not before: a small
                // version is not in the Catalog at all until its commit.
                keeper.sealed(copy.path(), copyOfFileId, copy.copyFileId());
            } else if (copy != null && !finished) {
                // The writing worker went away before the copy was sealed: its write is not acknowledged.
                copy.abort();
            }
            if (session != null && !finished) {
                // The forwarding worker or its client went away mid-write: nothing of it becomes visible.
                session.thenCompose(WriteSession::abort).exceptionally(e -> null);
            }
            if (reader != null) {
                reader.close();
            }
            ctx.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            LOG.debug("event=internal_connection_failed worker={} error={}", workerId, cause.toString());
            ctx.close();
        }
    }
}
