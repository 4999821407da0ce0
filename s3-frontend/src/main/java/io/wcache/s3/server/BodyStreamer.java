package io.wcache.s3.server;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.LastHttpContent;
import io.wcache.core.cache.ObjectReader;
import io.wcache.core.error.WcacheException;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Streams a byte span of an {@link ObjectReader} as an HTTP body: one read of at most
 * {@link #PIECE_BYTES} at a time, the next only once the previous piece is written out and the
 * channel is writable again, so a slow client holds at most the channel's write-buffer high
 * watermark plus one piece in memory. The response head goes out only once the first piece was
 * read: a reader that cannot give it (the object store unreachable, say) fails the request with
 * its error instead of a 200 cut off after the head. Confined to the channel's event loop; closes
 * the reader when done or when the connection goes away.
 */
final class BodyStreamer {
    private static final Logger LOG = LoggerFactory.getLogger(BodyStreamer.class);
    static final int PIECE_BYTES = 1 << 20;

    private final ChannelHandlerContext ctx;
    private final ObjectReader reader;
    private final boolean keepAlive;
    private final Runnable onDone;
    private final Runnable sendHead;
    private final Consumer<Throwable> failBeforeHead;
    private boolean headSent;
    private long offset;
    private long remaining;
    private boolean reading;
    private boolean done;

    /**
     * {@code sendHead} writes the response head (called once, before the first piece);
     * {@code failBeforeHead} answers the request with the first read's failure instead.
     */
    BodyStreamer(ChannelHandlerContext ctx, ObjectReader reader, long offset, long length, boolean keepAlive,
                 Runnable onDone, Runnable sendHead, Consumer<Throwable> failBeforeHead) {
        this.ctx = ctx;
        this.sendHead = sendHead;
        this.failBeforeHead = failBeforeHead;
        this.reader = reader;
        this.offset = offset;
        this.remaining = length;
        this.keepAlive = keepAlive;
        this.onDone = onDone;
    }

    void pump() {
        if (done || reading) {
            return;
        }
        if (remaining == 0) {
            head();
            finish();
            var f = ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
            if (!keepAlive) {
                f.addListener(ChannelFutureListener.CLOSE);
            }
            return;
        }
        if (!ctx.channel().isWritable()) {
            ctx.flush();
            return;
        }
        reading = true;
        int n = (int) Math.min(PIECE_BYTES, remaining);
        reader.read(offset, n).whenCompleteAsync((buf, e) -> {
            reading = false;
            if (done) {
                return;
            }
            if (e != null || buf == null || !buf.hasRemaining()) {
                failed(e);
                return;
            }
            head();
            int got = (int) Math.min(buf.remaining(), remaining);
            buf.limit(buf.position() + got);
            offset += got;
            remaining -= got;
            ctx.writeAndFlush(new DefaultHttpContent(Unpooled.wrappedBuffer(buf)));
            pump();
        }, ctx.executor());
    }

    /** The read failed, or ended early: the request's error if nothing was sent, else a cut connection. */
    private void failed(Throwable e) {
        if (!headSent) {
            finish();
            failBeforeHead.accept(e != null ? S3Handler.unwrap(e) : new WcacheException.Unavailable(
                    reader.info().path().toString(), "the object ended before its size at offset " + offset, null));
            return;
        }
        // The head is already sent: the only honest signal left is a truncated response.
        LOG.warn("event=s3_get_read_failed path={} offset={} error={}", reader.info().path(), offset,
                e == null ? "short object" : S3Handler.unwrap(e).toString());
        close();
        ctx.close();
    }

    private void head() {
        if (!headSent) {
            headSent = true;
            sendHead.run();
        }
    }

    private void finish() {
        if (!done) {
            done = true;
            reader.close();
            onDone.run();
        }
    }

    /** Stops streaming (connection lost) and releases the reader. */
    void close() {
        finish();
    }
}
