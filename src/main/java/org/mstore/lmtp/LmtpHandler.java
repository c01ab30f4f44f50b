package org.mstore.lmtp;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Executor;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.mstore.api.LogLevel;
import org.mstore.api.MailboxFormatException;
import org.mstore.api.MailboxName;
import org.mstore.api.NewMessage;
import org.mstore.api.Sessions;
import org.mstore.protocol.ProtocolText;
import org.slf4j.LoggerFactory;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

/** One LMTP session: its commands run in order on the server's pool, never on the event loop. */
final class LmtpHandler extends ChannelInboundHandlerAdapter {
    /** MAIL FROM's SIZE= parameter (RFC 1870): its value as sent, checked by the caller. */
    private static final Pattern SIZE_PARAM = Pattern.compile("(?i)(?:^|\\s)SIZE=(\\S*)");
    private static final Pattern PATH = Pattern.compile("^<([^<>]*)>(.*)$");
    private static final DateTimeFormatter RFC5322 = DateTimeFormatter.RFC_1123_DATE_TIME;

    private final LmtpServer server;
    private final LmtpDecoder decoder;
    private ChannelHandlerContext ctx;
    private Executor serial;
    private Sessions.Registration registration;
    private boolean admitted;
    private String lhlo;
    private String from;
    private final List<String[]> recipients = new ArrayList<>(); // {address, mailbox}
    private String remote;

    LmtpHandler(LmtpServer server, LmtpDecoder decoder) {
        this.server = server;
        this.decoder = decoder;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        InetSocketAddress a = (InetSocketAddress) ctx.channel().remoteAddress();
        remote = a.getAddress().getHostAddress() + ":" + a.getPort();
        if (!server.admit()) {
            ctx.writeAndFlush("421 4.3.2 Too many connections; try again later\r\n").addListener(ChannelFutureListener.CLOSE);
            return;
        }
        admitted = true;
        registration = server.store().sessions().register("lmtp", remote);
        serial = new SerialExecutor(server.pool());
        reply("220 " + host() + " LMTP mstore lmtpd ready");
    }

    private static String host() {
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "localhost";
        }
    }

    /**
     * Writes one reply line. A reply may quote the client (its address): a control character in it (a bare CR ends the
     * reply early for a client, and what follows reads as another reply) or a character beyond ASCII (replies are
     * US-ASCII: RFC 5321 §4.2; no SMTPUTF8 is offered) is named ({@code \x0d}, {@code \xc3\xa9}) rather than written.
     */
    private void reply(String line) {
        ctx.writeAndFlush(ProtocolText.named(line) + "\r\n");
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!admitted) {
            return;
        }
        serial.execute(() -> {
            try {
                if (msg instanceof String line) {
                    command(line);
                } else if (msg instanceof LmtpDecoder.Message m) {
                    deliver(m);
                } else if (msg instanceof LmtpDecoder.LineTooLong) {
                    reply("500 5.5.2 Line too long");
                }
            } catch (RuntimeException e) {
                LoggerFactory.getLogger(LmtpHandler.class).warn("LMTP command failed", e);
                reply("451 4.3.0 Internal error; try again later");
            }
        });
    }

    private void command(String line) {
        String upper = line.toUpperCase(Locale.ROOT);
        String verb = upper.split(" ", 2)[0];
        registration.command(verb);
        switch (verb) {
            case "LHLO" -> {
                if (line.length() < 6) {
                    reply("501 5.5.4 LHLO needs a host name");
                    return;
                }
                lhlo = line.substring(5).strip();
                reset();
                ctx.write("250-" + host() + "\r\n");
                ctx.write("250-PIPELINING\r\n");
                ctx.write("250-ENHANCEDSTATUSCODES\r\n");
                ctx.write("250-8BITMIME\r\n");
                reply("250 SIZE " + server.config().maxMessage());
            }
            case "MAIL" -> {
                if (lhlo == null) {
                    reply("503 5.5.1 Send LHLO first");
                } else if (from != null) {
                    reply("503 5.5.1 Nested MAIL command");
                } else if (!upper.startsWith("MAIL FROM:")) {
                    reply("501 5.5.4 Syntax: MAIL FROM:<address>");
                } else {
                    Matcher m = PATH.matcher(line.substring(10).strip());
                    if (!m.matches()) {
                        reply("501 5.1.7 Bad sender address syntax");
                        return;
                    }
                    Matcher size = SIZE_PARAM.matcher(m.group(2));
                    if (size.find()) {
                        String v = size.group(1);
                        if (!v.matches("\\d{1,40}")) {
                            reply("501 5.5.4 Bad SIZE= value: a number of bytes is expected");
                            return;
                        }
                        // a number of more digits than a long holds is too big too
                        if (v.replaceFirst("^0+(?=\\d)", "").length() > 18 || Long.parseLong(v) > server.config().maxMessage()) {
                            reply("552 5.3.4 Message too big (the limit is " + server.config().maxMessage() + " bytes)");
                            return;
                        }
                    }
                    from = m.group(1);
                    reply("250 2.1.0 OK");
                }
            }
            case "RCPT" -> rcpt(line, upper);
            case "DATA" -> {
                if (!upper.equals("DATA")) {
                    // the decoder reads a message only after a bare DATA: a 354 here would have its lines run as commands
                    reply("501 5.5.4 DATA takes no parameters");
                    return;
                }
                boolean ok = from != null && !recipients.isEmpty();
                if (!ok) {
                    reply(from == null ? "503 5.5.1 Send MAIL first" : "503 5.5.1 No valid recipients");
                } else {
                    reply("354 Start mail input; end with <CRLF>.<CRLF>");
                }
                ctx.channel().eventLoop().execute(() -> decoder.data(ctx, ok));
            }
            case "RSET" -> {
                reset();
                reply("250 2.0.0 OK");
            }
            case "NOOP" -> reply("250 2.0.0 OK");
            case "VRFY" -> reply("252 2.5.2 Cannot VRFY; send the mail and see");
            case "QUIT" -> ctx.writeAndFlush("221 2.0.0 Bye\r\n").addListener(ChannelFutureListener.CLOSE);
            case "HELO", "EHLO" -> reply("500 5.5.1 This is LMTP: use LHLO");
            default -> reply("500 5.5.2 Unknown command");
        }
    }

    private void reset() {
        from = null;
        recipients.clear();
    }

    private void rcpt(String line, String upper) {
        if (from == null) {
            reply("503 5.5.1 Send MAIL first");
            return;
        }
        if (!upper.startsWith("RCPT TO:")) {
            reply("501 5.5.4 Syntax: RCPT TO:<address>");
            return;
        }
        if (recipients.size() >= server.config().maxRecipients()) {
            reply("452 4.5.3 Too many recipients");
            return;
        }
        Matcher m = PATH.matcher(line.substring(8).strip());
        if (!m.matches() || m.group(1).isEmpty()) {
            reply("501 5.1.3 Bad recipient address syntax");
            return;
        }
        String address = m.group(1);
        int at = address.lastIndexOf('@');
        String local = at < 0 ? address : address.substring(0, at);
        String detail = null;
        int plus = local.indexOf('+');
        if (plus > 0 && server.store().users().find(local).isEmpty()) {
            detail = local.substring(plus + 1);
            local = local.substring(0, plus);
        }
        if (!MailboxName.isValid("user/" + local) || server.store().users().find(local).isEmpty()) {
            reply("550 5.1.1 <" + address + ">: no such user here");
            return;
        }
        String mailbox = "user/" + local;
        if (detail != null && !detail.isEmpty() && MailboxName.isValid(mailbox + "/" + detail)
                && server.store().mailboxes().exists(mailbox + "/" + detail)) {
            mailbox = mailbox + "/" + detail;
        }
        recipients.add(new String[] {address, mailbox});
        reply("250 2.1.5 OK");
    }

    private void deliver(LmtpDecoder.Message m) {
        try {
            if (m.tooBig()) {
                for (String[] r : recipients) {
                    reply("552 5.3.4 <" + r[0] + ">: message too big (the limit is " + server.config().maxMessage() + " bytes)");
                }
                return;
            }
            long now = server.store().clock().millis();
            String trace = "Return-Path: <" + from + ">\r\nReceived: from " + lhlo + " (" + remote + ")\r\n\tby " + host()
                    + " (mstore lmtpd) with LMTP; " + RFC5322.format(ZonedDateTime.now(server.store().clock())) + "\r\n";
            byte[] t = trace.getBytes(StandardCharsets.UTF_8);
            byte[] content = new byte[t.length + m.content().length];
            System.arraycopy(t, 0, content, 0, t.length);
            System.arraycopy(m.content(), 0, content, t.length, m.content().length);
            // what the store never takes (a header with a NUL byte, a first line that is no header field) is refused for
            // good: a temporary failure had the MTA try again for days, each try logged as a failed delivery
            String refused = server.store().mailboxes().checkMessage(content).orElse(null);
            if (refused != null) {
                for (String[] r : recipients) {
                    reply("554 5.6.0 <" + r[0] + ">: refused: the message " + refused);
                }
                return;
            }
            for (String[] r : recipients) {
                try {
                    // the append forces the message to disk before it returns: only then is 250 said
                    int uid = server.store().mailboxes().append(r[1], List.of(new NewMessage(content, now, 0))).uids()[0];
                    registration.mailbox(r[1]);
                    reply("250 2.0.0 <" + r[0] + "> delivered to " + r[1] + " (UID " + (uid & 0xffffffffL) + ")");
                } catch (MailboxFormatException e) {
                    // logged by the engine under lmtpd's name, Repair queued: the MTA tries again later
                    reply("451 4.2.0 <" + r[0] + ">: mailbox needs repair; try again later");
                } catch (IOException | RuntimeException e) {
                    server.store().log("General", LogLevel.ERROR, "delivery to " + r[1] + " failed: " + e.getMessage());
                    // a full disk is RFC 3463's 4.3.1, "mail system full": the MTA keeps the message and tries again
                    reply(org.mstore.api.DiskFull.causes(e) ? "452 4.3.1 <" + r[0] + ">: insufficient system storage; try again later"
                            : "451 4.3.0 <" + r[0] + ">: delivery failed; try again later");
                }
            }
        } finally {
            reset();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (admitted) {
            admitted = false;
            server.release();
            registration.close();
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof io.netty.handler.timeout.ReadTimeoutException) {
            ctx.writeAndFlush("421 4.4.2 Timeout\r\n").addListener(ChannelFutureListener.CLOSE);
            return;
        }
        ctx.close();
    }

    /** Runs tasks one after another on a shared pool. */
    private static final class SerialExecutor implements Executor {
        private final Executor pool;
        private final java.util.ArrayDeque<Runnable> tasks = new java.util.ArrayDeque<>();
        private boolean running;

        SerialExecutor(Executor pool) {
            this.pool = pool;
        }

        @Override
        public void execute(Runnable r) {
            synchronized (this) {
                tasks.add(r);
                if (running) {
                    return;
                }
                running = true;
            }
            try {
                pool.execute(this::next);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // the server is stopping
            }
        }

        private void next() {
            Runnable r;
            synchronized (this) {
                r = tasks.poll();
                if (r == null) {
                    running = false;
                    return;
                }
            }
            try {
                r.run();
            } finally {
                try {
                    pool.execute(this::next);
                } catch (java.util.concurrent.RejectedExecutionException e) {
                    // the server is stopping: what is left of this session is dropped with it
                }
            }
        }
    }
}
