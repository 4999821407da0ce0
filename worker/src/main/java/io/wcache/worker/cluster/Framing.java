package io.wcache.worker.cluster;

import com.google.protobuf.MessageLite;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.codec.LengthFieldPrepender;
import io.netty.handler.codec.protobuf.ProtobufDecoder;
import io.netty.handler.codec.protobuf.ProtobufEncoder;

/** The internal transport's framing: each protobuf message behind a 4-byte length. */
final class Framing {

    /** Largest frame: one append or read piece ({@link #MAX_PIECE}) and its envelope. */
    static final int MAX_FRAME = 9 << 20;
    /** Largest body piece one append or read message carries; larger ones are split. */
    static final int MAX_PIECE = 8 << 20;

    private Framing() {
    }

    static void install(ChannelPipeline p, MessageLite inbound) {
        p.addLast("frame-decoder", new LengthFieldBasedFrameDecoder(MAX_FRAME, 0, 4, 0, 4))
                .addLast("proto-decoder", new ProtobufDecoder(inbound))
                .addLast("frame-encoder", new LengthFieldPrepender(4))
                .addLast("proto-encoder", new ProtobufEncoder());
    }
}
