package org.mstore.imap;

import java.util.List;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageEncoder;

/** Turns responses into bytes on the wire (no copy: the response's array is wrapped). */
@ChannelHandler.Sharable
final class ImapEncoder extends MessageToMessageEncoder<ImapResponse> {
    static final ImapEncoder INSTANCE = new ImapEncoder();

    @Override
    protected void encode(ChannelHandlerContext ctx, ImapResponse msg, List<Object> out) {
        out.add(Unpooled.wrappedBuffer(msg.bytes()));
    }
}
