package org.mstore.imap;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

import org.mstore.api.AppendResult;
import org.mstore.api.CopyResult;
import org.mstore.api.ExpungeResult;
import org.mstore.api.FlagMode;
import org.mstore.api.Flags;
import org.mstore.api.InvalidMailboxNameException;
import org.mstore.api.LogLevel;
import org.mstore.api.MailboxBusyException;
import org.mstore.api.MailboxFormatException;
import org.mstore.api.MailboxInfo;
import org.mstore.api.MailboxSnapshot;
import org.mstore.api.Mailboxes;
import org.mstore.api.MessageRecord;
import org.mstore.api.NewMessage;
import org.mstore.api.NoSuchMailboxException;
import org.mstore.api.ReadOnlyStoreException;
import org.mstore.api.Sessions;
import org.mstore.api.StoreEvent;
import org.mstore.api.UidSet;
import org.mstore.protocol.ProtocolText;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client's IMAP session (RFC 3501 and the extensions the server announces): its state, its selected mailbox's
 * view, and every command, each answered through its {@link Connection}. Runs on its {@link SessionQueue}, one task at
 * a time; every store call goes through the {@link org.mstore.api.MessageStore} API.
 */
final class ImapSession {
    private static final Logger LOG = LoggerFactory.getLogger(ImapSession.class);
    static final DateTimeFormatter INTERNALDATE = DateTimeFormatter.ofPattern("dd-MMM-yyyy HH:mm:ss Z", Locale.ENGLISH);
    /** STRICT: 31-Feb is refused, not moved to the 28th (uuuu: STRICT has no era to go with a year-of-era). */
    private static final DateTimeFormatter APPEND_DATE = DateTimeFormatter.ofPattern("d-MMM-uuuu HH:mm:ss Z", Locale.ENGLISH)
            .withResolverStyle(java.time.format.ResolverStyle.STRICT);
    private static final String SYSTEM_FLAGS = "\\Answered \\Flagged \\Deleted \\Seen \\Draft";
    /** Message bytes read at once by a FETCH or SEARCH. */
    private static final long CHUNK_BYTES = 8L << 20;
    private static final int CHUNK_MESSAGES = 1000;

    private enum State { NOT_AUTHENTICATED, AUTHENTICATED, SELECTED, LOGOUT }

    private final ImapServer server;
    private final Connection conn;
    private final SessionQueue queue;
    private final Sessions.Registration registration;
    private State state = State.NOT_AUTHENTICATED;
    private String user;
    private SelectedMailbox selected;
    private String idleTag;
    private String authTag;
    private long commands;
    private int badInARow;
    private volatile boolean closed;

    ImapSession(ImapServer server, Connection conn, SessionQueue queue, Sessions.Registration registration) {
        this.server = server;
        this.conn = conn;
        this.queue = queue;
        this.registration = registration;
    }

    SessionQueue queue() {
        return queue;
    }

    /** The store name of the selected mailbox (read from other threads: a hint for routing events). */
    String selectedName() {
        SelectedMailbox s = selected;
        return s == null ? null : s.name;
    }

    boolean loggedIn() {
        return user != null;
    }

    // ---------------------------------------------------------------- life cycle

    void greet() {
        write("* OK [CAPABILITY " + capabilities() + "] mstore IMAP4rev1 server ready\r\n");
        conn.flush();
    }

    void closed() {
        closed = true;
        selected = null;
        registration.close();
    }

    private void write(String s) {
        conn.write(ImapResponse.of(s));
    }

    private void tagged(String tag, String status, String text) {
        write(tag + " " + status + " " + text + "\r\n");
    }

    private String capabilities() {
        StringBuilder sb = new StringBuilder("IMAP4rev1 LITERAL+ SASL-IR ID ENABLE IDLE UIDPLUS NAMESPACE UNSELECT MOVE CHILDREN");
        if (state == State.NOT_AUTHENTICATED) {
            if (server.config().tls() != null && !conn.secure()) {
                sb.append(" STARTTLS");
            }
            sb.append(loginAllowed() ? " AUTH=PLAIN" : " LOGINDISABLED");
        }
        return sb.toString();
    }

    /** Plain-text passwords only over TLS or from this host. */
    boolean loginAllowed() {
        return conn.secure() || conn.loopback();
    }

    // ---------------------------------------------------------------- input

    void decodeError(DecodeError e) {
        String tag = e.tag();
        if (idleTag != null) {
            // what the decoder refused was the answer to IDLE's continuation: it ends the IDLE, as any line does
            tag = idleTag;
            idleTag = null;
            registration.idle(false);
        }
        tagged(tag, e.status(), e.text());
        if (e.close()) {
            write("* BYE " + e.text() + "\r\n");
            conn.flush();
            conn.close();
            return;
        }
        bad();
        conn.flush();
    }

    private void bad() {
        if (++badInARow >= server.config().maxBadCommands()) {
            write("* BYE Too many malformed commands in a row\r\n");
            conn.flush();
            conn.close();
        }
    }

    /** Handles one line: a command, the end of IDLE, or an AUTHENTICATE response. */
    CompletionStage<?> line(ImapLine line) {
        if (closed) {
            return null;
        }
        ImapServer.ACTOR.set(this);
        try {
            if (idleTag != null) {
                endIdle(line);
                return null;
            }
            if (authTag != null) {
                return authenticateResponse(line);
            }
            return command(line);
        } finally {
            ImapServer.ACTOR.remove();
            conn.flush();
        }
    }

    private CompletionStage<?> command(ImapLine line) {
        String first = line.first();
        String tag = ImapDecoder.tagOf(first);
        if (tag.equals("*")) {
            write("* BAD Missing or invalid tag\r\n");
            bad();
            return null;
        }
        ImapReader r = new ImapReader(line);
        String name;
        try {
            r.atom();
            r.space();
            name = r.atom().toUpperCase(Locale.ROOT);
        } catch (ImapSyntaxException e) {
            tagged(tag, "BAD", "Missing command");
            bad();
            return null;
        }
        if (++commands > server.config().maxCommands()) {
            tagged(tag, "NO", "[LIMIT] Too many commands in this session (the limit is " + server.config().maxCommands() + ")");
            write("* BYE Too many commands in this session\r\n");
            conn.flush();
            conn.close();
            return null;
        }
        registration.command(name.equals("UID") && r.peekIs(' ') ? "UID " + peekWord(line) : name);
        try {
            SelectedMailbox sel = selected;
            if (sel != null && sel.stale && !server.store().mailboxes().exists(sel.name) && !selectedGone(sel)) {
                return null; // deleted: the session ended with BYE
            }
            CompletionStage<?> later = dispatch(tag, name, r);
            badInARow = 0;
            return later;
        } catch (ImapSyntaxException e) {
            tagged(tag, "BAD", oneLine(e.getMessage()));
            bad();
        } catch (ImapNo e) {
            badInARow = 0;
            sync(false); // no EXPUNGE: the command may have been a FETCH, STORE or SEARCH
            tagged(tag, "NO", (e.code == null ? "" : "[" + e.code + "] ") + oneLine(e.getMessage()));
        } catch (MailboxFormatException e) {
            // the engine logged the seed's two lines under this server's name and queued a Repair
            tagged(tag, "NO", "[SERVERBUG] " + oneLine(e.getMessage()));
        } catch (MailboxBusyException e) {
            tagged(tag, "NO", "[INUSE] The mailbox is busy (maintenance or another writer); try again");
        } catch (NoSuchMailboxException e) {
            tagged(tag, "NO", "[NONEXISTENT] No such mailbox");
        } catch (InvalidMailboxNameException e) {
            tagged(tag, "NO", "[CANNOT] " + oneLine(e.getMessage()));
        } catch (ReadOnlyStoreException e) {
            tagged(tag, "NO", "[NOPERM] " + oneLine(e.getMessage()));
        } catch (SelectedMailbox.Invalidated e) {
            write("* BYE The selected mailbox was replaced (its UID validity changed); select it again\r\n");
            conn.close();
        } catch (UnsupportedOperationException e) {
            // what this store can never do (a RENAME on a Cassandra store): RFC 5530's CANNOT
            tagged(tag, "NO", "[CANNOT] " + oneLine(e.getMessage()));
        } catch (IllegalArgumentException | IllegalStateException e) {
            tagged(tag, "NO", oneLine(e.getMessage()));
        } catch (IOException | RuntimeException e) {
            if (org.mstore.api.DiskFull.causes(e)) {
                // not a bug of the server's: RFC 5530's OVERQUOTA, which clients show as "mailbox full", as Dovecot does
                LOG.warn("IMAP {} for {}: the disk is full", name, user);
                tagged(tag, "NO", "[OVERQUOTA] Not enough disk space on the server; " + name + " was not done");
            } else {
                LOG.warn("IMAP {} failed for {}", name, user, e);
                tagged(tag, "NO", "[SERVERBUG] " + name + " failed: " + oneLine(String.valueOf(e.getMessage())));
            }
        } catch (Error e) {
            // the client gets an answer even now; a JVM in trouble (out of memory) ends the connection too
            LOG.error("IMAP {} failed for {}", name, user, e);
            tagged(tag, "NO", "[SERVERBUG] " + name + " failed on the server");
            if (e instanceof VirtualMachineError && !(e instanceof StackOverflowError)) {
                conn.flush();
                conn.close();
                throw e;
            }
        }
        return null;
    }

    private static String peekWord(ImapLine line) {
        String[] w = line.first().split(" ", 4);
        return w.length > 2 ? w[2].toUpperCase(Locale.ROOT) : "";
    }

    static String oneLine(String s) {
        if (s == null) {
            return "";
        }
        // a message may quote the client's bytes: a control character or an 8-bit one is no TEXT-CHAR (RFC 3501 §9); it
        // is named instead (ProtocolText), so that the line is 7-bit and ends where it should
        StringBuilder t = new StringBuilder(Math.min(s.length(), 320));
        int i = 0;
        while (i < s.length() && t.length() < 300) {
            int c = s.codePointAt(i);
            if (c == '\r' || c == '\n') {
                t.append(' ');
            } else {
                ProtocolText.appendNamed(t, c);
            }
            i += Character.charCount(c);
        }
        return i < s.length() ? t + "..." : t.toString();
    }

    private CompletionStage<?> dispatch(String tag, String name, ImapReader r) throws IOException {
        switch (name) {
            case "CAPABILITY" -> {
                r.end();
                write("* CAPABILITY " + capabilities() + "\r\n");
                ok(tag, "CAPABILITY completed");
            }
            case "NOOP", "CHECK" -> {
                r.end();
                ok(tag, name + " completed");
            }
            case "LOGOUT" -> {
                r.end();
                write("* BYE mstore IMAP4rev1 server logging out\r\n");
                tagged(tag, "OK", "LOGOUT completed");
                state = State.LOGOUT;
                conn.flush();
                conn.close();
            }
            case "ID" -> {
                r.space();
                if (!r.accept("NIL")) {
                    r.expect('(');
                    while (!r.peekIs(')')) {
                        r.optionalSpace();
                        r.string();
                        r.space();
                        if (!r.accept("NIL")) {
                            r.string();
                        }
                    }
                    r.expect(')');
                }
                r.end();
                write("* ID (\"name\" \"mstore\")\r\n");
                ok(tag, "ID completed");
            }
            case "ENABLE" -> {
                requireAuth();
                r.space();
                r.atom();
                while (r.optionalSpace()) {
                    r.atom();
                }
                write("* ENABLED\r\n");
                ok(tag, "ENABLE completed");
            }
            case "STARTTLS" -> {
                r.end();
                return startTls(tag);
            }
            case "LOGIN" -> {
                r.space();
                String u = r.astring();
                r.space();
                String p = r.astring();
                r.end();
                return login(tag, u, p.toCharArray(), "LOGIN");
            }
            case "AUTHENTICATE" -> {
                r.space();
                String mech = r.atom().toUpperCase(Locale.ROOT);
                String initial = null;
                if (r.optionalSpace()) {
                    initial = r.atom();
                }
                r.end();
                return authenticate(tag, mech, initial);
            }
            case "SELECT", "EXAMINE" -> {
                requireAuth();
                r.space();
                String m = r.astring();
                r.end();
                select(tag, m, name.equals("EXAMINE"));
            }
            case "CREATE" -> {
                requireAuth();
                r.space();
                String m = r.astring();
                r.end();
                create(m);
                ok(tag, "CREATE completed");
            }
            case "DELETE" -> {
                requireAuth();
                r.space();
                String m = r.astring();
                r.end();
                delete(m);
                ok(tag, "DELETE completed");
            }
            case "RENAME" -> {
                requireAuth();
                r.space();
                String from = r.astring();
                r.space();
                String to = r.astring();
                r.end();
                rename(from, to);
                ok(tag, "RENAME completed");
            }
            case "SUBSCRIBE", "UNSUBSCRIBE" -> {
                requireAuth();
                r.space();
                String m = r.astring();
                r.end();
                String store = MailboxNames.toStore(user, m);
                if (name.equals("SUBSCRIBE")) {
                    server.store().users().subscribe(user, store);
                } else {
                    server.store().users().unsubscribe(user, store);
                }
                ok(tag, name + " completed");
            }
            case "LIST", "LSUB" -> {
                requireAuth();
                r.space();
                String ref = r.astring();
                r.space();
                String pattern = r.listMailbox();
                r.end();
                list(name, ref, pattern);
                ok(tag, name + " completed");
            }
            case "NAMESPACE" -> {
                requireAuth();
                r.end();
                write("* NAMESPACE ((\"\" \"/\")) NIL NIL\r\n");
                ok(tag, "NAMESPACE completed");
            }
            case "STATUS" -> {
                requireAuth();
                r.space();
                String m = r.astring();
                r.space();
                List<String> items = r.flagList();
                r.end();
                status(m, items);
                ok(tag, "STATUS completed");
            }
            case "APPEND" -> {
                requireAuth();
                append(tag, r);
            }
            case "IDLE" -> {
                requireAuth();
                r.end();
                idleTag = tag;
                registration.idle(true);
                conn.idling();
                write("+ idling\r\n");
                pushUpdates();
            }
            case "CLOSE", "UNSELECT" -> {
                requireSelected();
                r.end();
                SelectedMailbox s = selected;
                if (name.equals("CLOSE") && !s.readOnly) {
                    server.store().mailboxes().expunge(s.name);
                }
                deselect();
                ok(tag, name + " completed");
            }
            case "EXPUNGE" -> {
                requireSelected();
                r.end();
                expunge(tag, null);
            }
            case "SEARCH" -> {
                requireSelected();
                search(tag, r, false);
            }
            case "FETCH" -> {
                requireSelected();
                r.space();
                SequenceSet set = SequenceSet.parse(r.word());
                r.space();
                List<FetchItem> items = FetchItem.parse(r);
                r.end();
                fetch(tag, set, items, false);
            }
            case "STORE" -> {
                requireSelected();
                store(tag, r, false);
            }
            case "COPY", "MOVE" -> {
                requireSelected();
                r.space();
                SequenceSet set = SequenceSet.parse(r.word());
                r.space();
                String dest = r.astring();
                r.end();
                copy(tag, set, dest, false, name.equals("MOVE"));
            }
            case "UID" -> {
                requireSelected();
                r.space();
                String sub = r.atom().toUpperCase(Locale.ROOT);
                switch (sub) {
                    case "FETCH" -> {
                        r.space();
                        SequenceSet set = SequenceSet.parse(r.word());
                        r.space();
                        List<FetchItem> items = FetchItem.parse(r);
                        r.end();
                        fetch(tag, set, items, true);
                    }
                    case "STORE" -> store(tag, r, true);
                    case "SEARCH" -> search(tag, r, true);
                    case "COPY", "MOVE" -> {
                        r.space();
                        SequenceSet set = SequenceSet.parse(r.word());
                        r.space();
                        String dest = r.astring();
                        r.end();
                        copy(tag, set, dest, true, sub.equals("MOVE"));
                    }
                    case "EXPUNGE" -> {
                        r.space();
                        SequenceSet set = SequenceSet.parse(r.word());
                        r.end();
                        expunge(tag, set);
                    }
                    default -> throw new ImapSyntaxException("unknown UID command " + sub);
                }
            }
            default -> throw new ImapSyntaxException("Unknown command " + name);
        }
        return null;
    }

    private void ok(String tag, String text) {
        sync(true);
        tagged(tag, "OK", text);
    }

    private void requireAuth() {
        if (state == State.NOT_AUTHENTICATED) {
            throw new ImapSyntaxException("Log in first");
        }
    }

    private void requireSelected() {
        requireAuth();
        if (selected == null) {
            throw new ImapSyntaxException("Select a mailbox first");
        }
    }

    // ---------------------------------------------------------------- updates from other sessions and processes

    /** Brings the view up to date if it may be stale and reports what is pending and allowed now. */
    private void sync(boolean allowExpunge) {
        SelectedMailbox s = selected;
        if (s == null) {
            return;
        }
        if (s.stale) {
            s.stale = false;
            try {
                s.resync(snapshotFollowingRename(s));
            } catch (NoSuchMailboxException e) {
                if (selected != s) {
                    return; // deleted: the session ended with BYE
                }
                s.stale = true; // renamed once more meanwhile: the next command looks again
            } catch (IOException e) {
                // a damaged mailbox: the next command that reads it answers NO; the view stays as it was
                s.stale = true;
            }
        }
        Resp out = new Resp();
        s.report(out, allowExpunge, true);
        if (out.size() > 0) {
            conn.write(out.build());
        }
    }

    /** A change made in this process by another session (flags, expunges), heard at once. */
    void messagesChanged(StoreEvent.MessagesChanged e) {
        SelectedMailbox s = selected;
        if (s == null || !s.name.equals(e.mailbox())) {
            return;
        }
        for (MessageRecord r : e.changed()) {
            s.applyFlags(r);
        }
        for (int uid : e.expunged()) {
            s.applyExpunged(uid);
        }
        pushUpdates();
        conn.flush();
    }

    /** The mailbox changed in some process: the view is compared with a snapshot at the next command, or now in IDLE. */
    void mailboxChanged() {
        SelectedMailbox s = selected;
        if (s == null) {
            return;
        }
        s.stale = true;
        if (idleTag != null) {
            s.stale = false;
            try {
                s.resync(snapshotFollowingRename(s));
            } catch (IOException | RuntimeException e) {
                if (selected == s) {
                    s.stale = true;
                }
                conn.flush();
                return;
            }
            pushUpdates();
            conn.flush();
        }
    }

    /**
     * A snapshot of the selected mailbox. When its name is gone from the store, it was renamed or deleted
     * ({@link #selectedGone}): renamed, the snapshot is the one under its new name; deleted, the session has ended and
     * {@link NoSuchMailboxException} is thrown.
     */
    private MailboxSnapshot snapshotFollowingRename(SelectedMailbox s) throws IOException {
        try {
            return server.store().mailboxes().snapshot(s.name);
        } catch (NoSuchMailboxException e) {
            if (!selectedGone(s)) {
                throw e;
            }
            return server.store().mailboxes().snapshot(s.name);
        }
    }

    /**
     * The selected mailbox's name is no longer in the store. A rename keeps a mailbox's messages, UIDs, UID validity and
     * creation time, so the mailbox of this user with the same UID validity and creation time is the selected one under
     * its new name: the session stays on it, as RFC 2180 3.4 allows (commands that name no mailbox go on working on the
     * same messages), and is told its new name. Otherwise it was deleted: {@code BYE} (RFC 2180 3.3) and the connection
     * ends. Returns whether the session goes on.
     */
    private boolean selectedGone(SelectedMailbox s) {
        String to = renamedTo(s);
        if (to == null) {
            write("* BYE The selected mailbox was deleted\r\n");
            deselect();
            conn.close();
            return false;
        }
        s.name = to;
        registration.mailbox(to);
        String shown = MailboxNames.toImap(user, to);
        shown = (shown == null ? to : shown).replace("\\", "\\\\").replace("\"", "\\\"");
        write("* OK The selected mailbox was renamed to \"" + shown + "\" by another client; it stays selected under its new name\r\n");
        return true;
    }

    /** The new name of the selected mailbox if it was renamed (one mailbox of this user is it), else null. */
    private String renamedTo(SelectedMailbox s) {
        if (s.created == null) {
            return null;
        }
        String found = null;
        for (MailboxInfo i : server.store().mailboxes().subtree("user/" + user)) {
            if (i.uidValidity() == s.uidValidity && s.created.equals(i.created()) && !i.name().equals(s.name)) {
                if (found != null) {
                    return null; // two such mailboxes (a store older than its UIDVALIDITY counter): neither is surely it
                }
                found = i.name();
            }
        }
        return found;
    }

    /**
     * Reports what may be reported outside a command's response: in IDLE, new messages always, and flag changes and
     * expunges when {@code imap.immediateflagupdate} is on; outside IDLE, flag changes when it is on (an EXPUNGE may
     * not be sent while no command is in progress).
     */
    private void pushUpdates() {
        SelectedMailbox s = selected;
        if (s == null || closed) {
            return;
        }
        boolean immediate = server.immediateFlagUpdate();
        Resp out = new Resp();
        if (idleTag != null) {
            s.report(out, immediate, immediate);
        } else if (immediate) {
            s.report(out, false, true);
        }
        if (out.size() > 0) {
            conn.write(out.build());
        }
    }

    private void endIdle(ImapLine line) {
        String tag = idleTag;
        idleTag = null;
        registration.idle(false);
        if (line.parts().size() == 1 && line.first().strip().equalsIgnoreCase("DONE")) {
            ok(tag, "IDLE terminated");
        } else {
            tagged(tag, "BAD", "Expected DONE to end IDLE");
            bad();
        }
    }

    // ---------------------------------------------------------------- login

    private CompletionStage<?> startTls(String tag) {
        if (state != State.NOT_AUTHENTICATED) {
            tagged(tag, "BAD", "STARTTLS is only allowed before login");
            conn.resumeDecoding();
            return null;
        }
        if (server.config().tls() == null || conn.secure()) {
            tagged(tag, "NO", conn.secure() ? "TLS is already active" : "STARTTLS is not available: the server has no certificate");
            conn.resumeDecoding();
            return null;
        }
        conn.startTls(ImapResponse.of(tag + " OK Begin TLS negotiation now\r\n"));
        return null;
    }

    private CompletionStage<?> login(String tag, String u, char[] password, String how) {
        if (state != State.NOT_AUTHENTICATED) {
            tagged(tag, "BAD", "Already logged in");
            return null;
        }
        if (!loginAllowed()) {
            tagged(tag, "NO", "[PRIVACYREQUIRED] Plain-text login is refused on a connection that is neither TLS nor from this host; "
                    + "use STARTTLS first");
            return null;
        }
        boolean ok = server.store().users().authenticate(u, password);
        java.util.Arrays.fill(password, '\0');
        if (ok) {
            server.throttle().succeeded(conn.remoteHost());
            user = u;
            state = State.AUTHENTICATED;
            registration.user(u);
            server.store().log("Account", LogLevel.NOTICE, "login: [" + conn.remote() + "] " + u + " " + how
                    + (conn.secure() ? " (TLS)" : ""));
            tagged(tag, "OK", "[CAPABILITY " + capabilities() + "] Logged in");
            return null;
        }
        long[] f = server.throttle().failed(conn.remoteHost(), System.currentTimeMillis());
        server.store().log("Account", LogLevel.WARNING, "badlogin: [" + conn.remote() + "] " + how + " " + printable(u)
                + ": authentication failed (" + f[0] + " in a row from this address; answered after " + f[1] + " ms)");
        CompletableFuture<Void> done = new CompletableFuture<>();
        server.timer().schedule(() -> {
            tagged(tag, "NO", "[AUTHENTICATIONFAILED] Authentication failed");
            conn.flush();
            done.complete(null);
        }, f[1], TimeUnit.MILLISECONDS);
        return done;
    }

    private static String printable(String s) {
        StringBuilder sb = new StringBuilder();
        for (char c : s.toCharArray()) {
            sb.append(c < 32 || c == 127 ? '?' : c);
            if (sb.length() > 64) {
                break;
            }
        }
        return sb.toString();
    }

    private CompletionStage<?> authenticate(String tag, String mech, String initial) {
        if (state != State.NOT_AUTHENTICATED) {
            tagged(tag, "BAD", "Already logged in");
            return null;
        }
        if (!mech.equals("PLAIN")) {
            tagged(tag, "NO", "[CANNOT] Unsupported mechanism " + oneLine(mech) + "; use PLAIN");
            return null;
        }
        if (!loginAllowed()) {
            tagged(tag, "NO", "[PRIVACYREQUIRED] Plain-text login is refused on a connection that is neither TLS nor from this host; "
                    + "use STARTTLS first");
            return null;
        }
        if (initial != null) {
            return plain(tag, initial);
        }
        authTag = tag;
        write("+ \r\n");
        return null;
    }

    private CompletionStage<?> authenticateResponse(ImapLine line) {
        String tag = authTag;
        authTag = null;
        String text = line.first().strip();
        if (text.equals("*")) {
            tagged(tag, "BAD", "AUTHENTICATE cancelled");
            return null;
        }
        return plain(tag, text);
    }

    private CompletionStage<?> plain(String tag, String base64) {
        byte[] decoded;
        try {
            decoded = base64.equals("=") ? new byte[0] : Base64.getDecoder().decode(base64);
        } catch (IllegalArgumentException e) {
            tagged(tag, "BAD", "Invalid base64 in the PLAIN response");
            return null;
        }
        String s = new String(decoded, StandardCharsets.UTF_8);
        java.util.Arrays.fill(decoded, (byte) 0);
        String[] f = s.split("\0", -1);
        if (f.length != 3) {
            tagged(tag, "BAD", "Invalid PLAIN response: expected authzid NUL authcid NUL password");
            return null;
        }
        if (!f[0].isEmpty() && !f[0].equals(f[1])) {
            tagged(tag, "NO", "[AUTHORIZATIONFAILED] Logging in as another user is not allowed");
            return null;
        }
        return login(tag, f[1], f[2].toCharArray(), "AUTHENTICATE PLAIN");
    }

    // ---------------------------------------------------------------- mailboxes

    private String storeName(String imapName) {
        return MailboxNames.toStore(user, imapName);
    }

    private void select(String tag, String m, boolean readOnly) throws IOException {
        deselect();
        String name = storeName(m);
        MailboxSnapshot snap;
        try {
            snap = server.store().mailboxes().snapshot(name);
        } catch (NoSuchMailboxException e) {
            throw new ImapNo("NONEXISTENT", "No such mailbox: " + m);
        }
        boolean ro = readOnly || server.store().info().readOnly();
        SelectedMailbox s = new SelectedMailbox(snap, ro);
        s.created = server.store().mailboxes().find(name).filter(i -> i.uidValidity() == snap.uidValidity()).map(MailboxInfo::created)
                .orElse(null);
        selected = s;
        state = State.SELECTED;
        registration.mailbox(name);
        write("* FLAGS (" + SYSTEM_FLAGS + ")\r\n");
        write("* OK [PERMANENTFLAGS (" + (ro ? "" : SYSTEM_FLAGS) + ")] " + (ro ? "Read-only" : "Flags permitted") + "\r\n");
        write("* " + s.size() + " EXISTS\r\n");
        write("* 0 RECENT\r\n");
        int unseen = s.firstUnseen();
        if (unseen > 0) {
            write("* OK [UNSEEN " + unseen + "] First unseen\r\n");
        }
        write("* OK [UIDVALIDITY " + s.uidValidity + "] UIDs valid\r\n");
        write("* OK [UIDNEXT " + s.uidNext() + "] Predicted next UID\r\n");
        tagged(tag, "OK", (ro ? "[READ-ONLY] EXAMINE" : "[READ-WRITE] SELECT") + " completed");
    }

    private void deselect() {
        selected = null;
        if (state == State.SELECTED) {
            state = State.AUTHENTICATED;
        }
        registration.mailbox(null);
    }

    private void create(String m) throws IOException {
        String name = storeName(m);
        Mailboxes mb = server.store().mailboxes();
        if (mb.exists(name)) {
            throw new ImapNo("ALREADYEXISTS", "Mailbox already exists: " + m);
        }
        // superior names are created too (RFC 3501 §6.3.3)
        String inbox = "user/" + user;
        String[] folders = name.substring(inbox.length() + 1).split("/");
        StringBuilder path = new StringBuilder(inbox);
        for (int i = 0; i < folders.length; i++) {
            path.append('/').append(folders[i]);
            String p = path.toString();
            if (i < folders.length - 1 && (mb.exists(p) || folders[i].equalsIgnoreCase("INBOX") && i == 0)) {
                continue;
            }
            if (i == folders.length - 1 || !mb.exists(p)) {
                mb.create(p);
            }
        }
    }

    private void delete(String m) throws IOException {
        String name = storeName(m);
        if (name.equals("user/" + user)) {
            throw new ImapNo("CANNOT", "The INBOX cannot be deleted");
        }
        Mailboxes mb = server.store().mailboxes();
        List<MailboxInfo> tree = mb.subtree(name);
        if (tree.isEmpty()) {
            throw new ImapNo("NONEXISTENT", "No such mailbox: " + m);
        }
        if (tree.size() > 1) {
            throw new ImapNo("CANNOT", "Mailbox " + m + " has folders below it: delete them first");
        }
        if (selected != null && selected.name.equals(name)) {
            deselect();
        }
        mb.delete(name);
    }

    private void rename(String from, String to) throws IOException {
        String src = storeName(from);
        String dst = storeName(to);
        Mailboxes mb = server.store().mailboxes();
        if (!mb.exists(src)) {
            throw new ImapNo("NONEXISTENT", "No such mailbox: " + from);
        }
        if (mb.exists(dst)) {
            throw new ImapNo("ALREADYEXISTS", "Mailbox already exists: " + to);
        }
        if (dst.equals("user/" + user)) {
            throw new ImapNo("CANNOT", "Cannot rename onto INBOX");
        }
        if (src.equals("user/" + user)) {
            // RFC 3501: renaming INBOX moves its messages to the new mailbox and leaves INBOX empty
            mb.create(dst);
            MailboxSnapshot snap = mb.snapshot(src);
            if (!snap.records().isEmpty()) {
                // the messages of the snapshot only: one delivered meanwhile stays in INBOX, neither copied nor flagged
                int last = snap.records().get(snap.records().size() - 1).uid();
                UidSet moved = UidSet.parse("1:" + (last & 0xffffffffL));
                mb.copy(src, moved, dst);
                mb.setFlags(src, moved, Flags.DELETED, FlagMode.ADD);
                ExpungeResult e = mb.expunge(src, moved);
                SelectedMailbox s = selected;
                if (s != null && s.name.equals(src)) {
                    // INBOX stays selected, emptied: its EXPUNGEs come with this command's OK
                    for (int uid : e.uids()) {
                        s.applyExpunged(uid);
                    }
                }
                server.changed(src);
            }
            server.changed(dst);
            return;
        }
        mb.rename(src, dst);
        SelectedMailbox s = selected;
        if (s != null && (s.name.equals(src) || s.name.startsWith(src + "/"))) {
            // the session stays on its mailbox under the new name, as when another client renames it (RFC 2180 3.4);
            // it made the rename itself, so there is nothing to tell it
            s.name = dst + s.name.substring(src.length());
            registration.mailbox(s.name);
        }
    }

    private void list(String command, String ref, String pattern) {
        if (pattern.isEmpty() && command.equals("LIST")) {
            write("* LIST (\\Noselect) \"/\" \"\"\r\n");
            return;
        }
        String full = ref.isEmpty() || pattern.startsWith("/") ? pattern : (ref.endsWith("/") ? ref + pattern : ref + "/" + pattern);
        if (full.regionMatches(true, 0, "INBOX", 0, 5) && (full.length() == 5 || full.charAt(5) == '/')) {
            full = "INBOX" + full.substring(5);
        }
        String inbox = "user/" + user;
        TreeMap<String, String> names = new TreeMap<>(); // IMAP name -> attributes
        java.util.Set<String> existing = new TreeSet<>();
        for (MailboxInfo i : server.store().mailboxes().subtree(inbox)) {
            String n = MailboxNames.toImap(user, i.name());
            if (n != null) {
                existing.add(n);
            }
        }
        java.util.Set<String> subscribed = new TreeSet<>();
        if (command.equals("LSUB")) {
            for (String s : server.store().users().subscriptions(user)) {
                String n = MailboxNames.toImap(user, s);
                if (n != null) {
                    subscribed.add(n);
                }
            }
        }
        java.util.Set<String> source = command.equals("LSUB") ? subscribed : existing;
        java.util.Set<String> withParents = new TreeSet<>(source);
        for (String n : source) {
            int slash = n.lastIndexOf('/');
            while (slash > 0) {
                withParents.add(n.substring(0, slash));
                slash = n.lastIndexOf('/', slash - 1);
            }
        }
        for (String n : withParents) {
            boolean real = source.contains(n);
            if (!MailboxNames.matches(full, n)) {
                continue;
            }
            if (!real && !full.endsWith("%")) {
                // an implied parent shows only where % stopped at it
                continue;
            }
            boolean children = false;
            for (String o : existing) {
                if (o.startsWith(n + "/")) {
                    children = true;
                    break;
                }
            }
            String attrs;
            if (command.equals("LSUB")) {
                attrs = real ? "" : "\\Noselect";
            } else {
                attrs = (real ? "" : "\\Noselect ") + (children ? "\\HasChildren" : "\\HasNoChildren");
            }
            names.put(n, attrs.strip());
        }
        for (Map.Entry<String, String> e : names.entrySet()) {
            Resp out = new Resp().text("* " + command + " (" + e.getValue() + ") \"/\" ").mailbox(e.getKey()).crlf();
            conn.write(out.build());
        }
    }

    private void status(String m, List<String> items) throws IOException {
        String name = storeName(m);
        MailboxInfo info;
        try {
            info = server.store().mailboxes().get(name);
        } catch (NoSuchMailboxException e) {
            throw new ImapNo("NONEXISTENT", "No such mailbox: " + m);
        }
        Resp out = new Resp().text("* STATUS ").mailbox(MailboxNames.encodeUtf7(MailboxNames.decodeUtf7(m))).text(" (");
        boolean first = true;
        MailboxSnapshot snap = null;
        for (String item : items) {
            String i = item.toUpperCase(Locale.ROOT);
            long v;
            switch (i) {
                case "MESSAGES" -> v = info.messageCount();
                case "RECENT" -> v = 0;
                case "UIDNEXT" -> v = info.nextUid();
                case "UIDVALIDITY" -> v = info.uidValidity();
                case "UNSEEN" -> {
                    if (snap == null) {
                        snap = server.store().mailboxes().snapshot(name);
                    }
                    v = snap.records().stream().filter(r -> !r.seen()).count();
                }
                default -> throw new ImapSyntaxException("unknown STATUS item " + item);
            }
            if (!first) {
                out.sp();
            }
            first = false;
            out.text(i).sp().num(v);
        }
        conn.write(out.text(")").crlf().build());
    }

    private void append(String tag, ImapReader r) throws IOException {
        r.space();
        String m = r.astring();
        r.space();
        int flags = 0;
        if (r.peekIs('(')) {
            flags = flagBits(r.flagList(), false);
            r.space();
        }
        long date = server.store().clock().millis();
        if (r.peekIs('"')) {
            String d = r.string();
            try {
                date = ZonedDateTime.parse(d.strip(), APPEND_DATE).toInstant().toEpochMilli();
            } catch (DateTimeParseException e) {
                throw new ImapSyntaxException("bad date-time \"" + d + "\" (use \"dd-Mon-yyyy hh:mm:ss +zzzz\")");
            }
            r.space();
        }
        if (!r.peekLiteral()) {
            throw new ImapSyntaxException("APPEND needs the message as a literal");
        }
        byte[] message = r.takeLiteral();
        r.end();
        if (message.length == 0) {
            throw new ImapNo("CANNOT", "An empty message cannot be appended");
        }
        String name = storeName(m);
        Mailboxes mb = server.store().mailboxes();
        if (!mb.exists(name)) {
            throw new ImapNo("TRYCREATE", "No such mailbox: " + m);
        }
        int bare = bareLfs(message);
        long copy = reserveMendedCopy(message.length, bare);
        AppendResult a;
        try {
            if (bare > 0) {
                message = withCrlf(message, bare);
            }
            a = mb.append(name, List.of(new NewMessage(message, date, flags)));
        } finally {
            server.literals().release(copy);
        }
        server.changed(name);
        if (selected != null && selected.name.equals(name)) {
            selected.stale = true;
        }
        ok(tag, "[APPENDUID " + a.uidValidity() + " " + (a.uids()[0] & 0xffffffffL) + "] APPEND completed");
    }

    /**
     * Reserves, in the server's {@link LiteralBudget}, the copy a message of {@code length} bytes with {@code bare} bare
     * LFs is mended into (it is held beside the literal while it is made); returns the bytes reserved, none for a
     * message without a bare LF. The command's literal holds its own reservation, so waiting for this one could hold
     * what another connection's wait needs, as a later literal could (see {@link ImapDecoder}): a copy that does not fit
     * now is refused ({@code NO [LIMIT]}), one that could never fit beside its literal {@code NO [TOOBIG]}.
     */
    private long reserveMendedCopy(int length, int bare) {
        if (bare == 0) {
            return 0;
        }
        long copy = (long) length + bare;
        LiteralBudget budget = server.literals();
        if (length + copy > budget.total()) {
            throw new ImapNo("TOOBIG", "The message has " + bare + " bare LF line ends: mended to CRLF it is a copy of " + copy
                    + " bytes held beside its literal, more than the server's memory for literals (" + budget.total()
                    + " bytes); send it with CRLF line ends");
        }
        if (!budget.tryReserve(copy)) {
            throw new ImapNo("LIMIT", "The server's memory for literals is in use (the message's bare LF line ends need a copy of "
                    + copy + " bytes mended to CRLF); send the command again later");
        }
        return copy;
    }

    /** The bare LFs (LFs not after a CR) in {@code message}: each is stored as CRLF. */
    static int bareLfs(byte[] message) {
        int bare = 0;
        for (int i = 0; i < message.length; i++) {
            if (message[i] == '\n' && (i == 0 || message[i - 1] != '\r')) {
                bare++;
            }
        }
        return bare;
    }

    /**
     * The message with each of its {@code bare} bare LFs (one not after a CR) made a CRLF, as lmtpd stores a delivery: RFC
     * 3501 serves lines that end in CRLF, and the stored size and checksum are then those of the bytes served. A message
     * sent with CRLF is stored as it came, not copied; a bare CR is kept as it came (mending it could double a line end).
     * The mended message is a copy, one byte longer per bare LF: the literal, taken out of its line, is the caller's only
     * reference to the original, which is garbage once the copy is made.
     */
    static byte[] withCrlf(byte[] message, int bare) {
        byte[] out = new byte[message.length + bare];
        int w = 0;
        for (int i = 0; i < message.length; i++) {
            if (message[i] == '\n' && (i == 0 || message[i - 1] != '\r')) {
                out[w++] = '\r';
            }
            out[w++] = message[i];
        }
        return out;
    }

    private static int flagBits(List<String> names, boolean strict) {
        int f = 0;
        for (String n : names) {
            if (n.startsWith("\\")) {
                if (n.equalsIgnoreCase("\\Recent")) {
                    if (strict) {
                        throw new ImapSyntaxException("\\Recent cannot be stored");
                    }
                    continue;
                }
                try {
                    f |= Flags.parse(n);
                } catch (IllegalArgumentException e) {
                    throw new ImapSyntaxException("unknown system flag " + n);
                }
            }
            // keywords are not kept (PERMANENTFLAGS lists none): accepted and ignored
        }
        return f;
    }

    // ---------------------------------------------------------------- message sets

    /** Positions in the view of a set of message numbers or UIDs, ascending, each once; BAD for a number past the end. */
    private int[] positions(SequenceSet set, boolean byUid) {
        SelectedMailbox s = selected;
        int n = s.size();
        if (!byUid && (set.maxExplicit() > n || n == 0)) {
            throw new ImapSyntaxException(n == 0 ? "The mailbox is empty" : "Invalid message number " + set.maxExplicit()
                    + " (there are " + n + ")");
        }
        if (n == 0) {
            return new int[0];
        }
        long maxUid = s.uid(n - 1) & 0xffffffffL;
        int[] out = new int[16];
        int k = 0;
        for (long[] range : set.ranges()) {
            long max = byUid ? maxUid : n;
            long a = range[0] == SequenceSet.STAR ? max : range[0];
            long b = range[1] == SequenceSet.STAR ? max : range[1];
            int from;
            int to;
            if (byUid) {
                from = lowerBound(s, Math.min(a, b));
                to = lowerBound(s, Math.max(a, b) + 1);
            } else {
                from = (int) Math.min(a, b) - 1;
                to = (int) Math.max(a, b);
            }
            if (to - from > out.length - k) {
                out = java.util.Arrays.copyOf(out, Math.max(out.length * 2, k + to - from));
            }
            for (int p = from; p < to; p++) {
                out[k++] = p;
            }
        }
        int[] r = java.util.Arrays.copyOf(out, k);
        if (set.ranges().size() > 1) {
            r = java.util.Arrays.stream(r).sorted().distinct().toArray();
        }
        return r;
    }

    /** The first position whose UID is at least {@code uid}. */
    private static int lowerBound(SelectedMailbox s, long uid) {
        int lo = 0;
        int hi = s.size();
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if ((s.uid(mid) & 0xffffffffL) < uid) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    private String uidSetOf(int[] positions, int from, int to) {
        int[] uids = new int[to - from];
        for (int i = from; i < to; i++) {
            uids[i - from] = selected.uid(positions[i]);
        }
        return SequenceSet.compact(uids, 0, uids.length);
    }

    /** Reads the messages at {@code positions} in chunks, one opening of the mailbox per chunk. */
    private void readChunks(int[] positions, java.util.function.BiConsumer<int[], Map<Integer, byte[]>> chunkDone) throws IOException {
        SelectedMailbox s = selected;
        int i = 0;
        while (i < positions.length) {
            int j = i;
            long bytes = 0;
            List<Integer> live = new ArrayList<>();
            while (j < positions.length && j - i < CHUNK_MESSAGES && (bytes < CHUNK_BYTES || j == i)) {
                if (!s.gone(positions[j])) {
                    bytes += s.sizeAt(positions[j]);
                    live.add(positions[j]);
                }
                j++;
            }
            Map<Integer, byte[]> content = new HashMap<>();
            if (!live.isEmpty()) {
                int[] lp = live.stream().mapToInt(Integer::intValue).toArray();
                server.store().mailboxes().fetch(s.name, UidSet.parse(uidSetOf(lp, 0, lp.length)), (rec, b) -> content.put(rec.uid(), b));
            }
            chunkDone.accept(java.util.Arrays.copyOfRange(positions, i, j), content);
            i = j;
        }
    }

    /**
     * Untagged responses gathered into writes of about 64 KB: a FETCH of 200,000 messages is a few hundred writes,
     * each waited for when the client reads slower than the server answers.
     */
    private final class Batch {
        private final java.io.ByteArrayOutputStream buf = new java.io.ByteArrayOutputStream(80 * 1024);

        void add(Resp r) {
            buf.writeBytes(r.build().bytes());
            if (buf.size() >= 64 * 1024) {
                done();
            }
        }

        /** ASCII text (responses without literals). */
        void add(CharSequence text) {
            byte[] b = new byte[text.length()];
            for (int i = 0; i < b.length; i++) {
                b[i] = (byte) text.charAt(i);
            }
            buf.writeBytes(b);
            if (buf.size() >= 64 * 1024) {
                done();
            }
        }

        void done() {
            if (buf.size() > 0) {
                conn.write(new ImapResponse(buf.toByteArray()));
                buf.reset();
                conn.awaitWritable();
            }
        }
    }

    // ---------------------------------------------------------------- FETCH

    private void fetch(String tag, SequenceSet set, List<FetchItem> items, boolean byUid) throws IOException {
        SelectedMailbox s = selected;
        int[] pos = positions(set, byUid);
        List<FetchItem> all = new ArrayList<>(items);
        if (byUid && all.stream().noneMatch(i -> i.kind().equals("UID"))) {
            all.add(0, FetchItem.simple("UID"));
        }
        boolean content = all.stream().anyMatch(FetchItem::needsContent);
        boolean seen = !s.readOnly && all.stream().anyMatch(FetchItem::setsSeen);
        boolean[] missing = {false};
        if (seen) {
            markSeen(pos);
        }
        Batch batch = new Batch();
        if (!content && all.stream().allMatch(i -> i.kind().equals("UID") || i.kind().equals("FLAGS"))) {
            // the common resynchronisation of a client (UID FETCH 1:* (FLAGS)): one buffer, no object per message
            StringBuilder sb = new StringBuilder(64 * 1024 + 256);
            for (int p : pos) {
                sb.append("* ").append(p + 1).append(" FETCH (");
                boolean first = true;
                for (FetchItem i : all) {
                    if (!first) {
                        sb.append(' ');
                    }
                    first = false;
                    if (i.kind().equals("UID")) {
                        sb.append("UID ").append(s.uid(p) & 0xffffffffL);
                    } else {
                        sb.append("FLAGS (").append(s.flagText(p)).append(')');
                    }
                }
                sb.append(")\r\n");
                if (sb.length() >= 64 * 1024) {
                    batch.add(sb);
                    sb.setLength(0);
                }
            }
            batch.add(sb);
        } else if (!content) {
            for (int p : pos) {
                batch.add(fetchResponse(p, all, null, seen));
            }
        } else {
            readChunks(pos, (chunk, bytes) -> {
                for (int p : chunk) {
                    byte[] b = bytes.get(s.uid(p));
                    if (b == null) {
                        missing[0] = true; // expunged meanwhile: its number is reported at the next command that may
                        continue;
                    }
                    batch.add(fetchResponse(p, all, new MimeView(b), seen));
                }
            });
        }
        batch.done();
        sync(byUid);
        if (missing[0]) {
            tagged(tag, "NO", "[EXPUNGEISSUED] Some of the requested messages no longer exist");
        } else {
            tagged(tag, "OK", (byUid ? "UID " : "") + "FETCH completed");
        }
    }

    private void markSeen(int[] pos) throws IOException {
        SelectedMailbox s = selected;
        List<Integer> unseen = new ArrayList<>();
        for (int p : pos) {
            if (!s.gone(p) && (s.flags(p) & Flags.SEEN) == 0) {
                unseen.add(p);
            }
        }
        if (unseen.isEmpty()) {
            return;
        }
        int[] up = unseen.stream().mapToInt(Integer::intValue).toArray();
        List<MessageRecord> changed = server.store().mailboxes().setFlags(s.name, UidSet.parse(uidSetOf(up, 0, up.length)), Flags.SEEN,
                FlagMode.ADD);
        for (MessageRecord r : changed) {
            int p = s.position(r.uid());
            if (p >= 0) {
                s.setFlags(p, r.flags());
            }
        }
    }

    private Resp fetchResponse(int p, List<FetchItem> items, MimeView v, boolean flagsChanged) {
        SelectedMailbox s = selected;
        Resp out = new Resp().text("* ").num(p + 1).text(" FETCH (");
        boolean first = true;
        boolean flagsSent = false;
        for (FetchItem i : items) {
            if (!first) {
                out.sp();
            }
            first = false;
            switch (i.kind()) {
                case "UID" -> out.text("UID ").num(s.uid(p) & 0xffffffffL);
                case "FLAGS" -> {
                    out.text("FLAGS (").text(s.flagText(p)).text(")");
                    flagsSent = true;
                }
                case "INTERNALDATE" -> out.text("INTERNALDATE \"")
                        .text(INTERNALDATE.format(ZonedDateTime.ofInstant(java.time.Instant.ofEpochMilli(s.date(p)), server.zone())))
                        .text("\"");
                case "RFC822.SIZE" -> out.text("RFC822.SIZE ").num(s.sizeAt(p));
                case "ENVELOPE" -> {
                    out.text("ENVELOPE ");
                    v.envelope(out);
                }
                case "BODYSTRUCTURE" -> {
                    out.text("BODYSTRUCTURE ");
                    v.bodyStructure(out, true);
                }
                case "BODY" -> {
                    out.text("BODY ");
                    v.bodyStructure(out, false);
                }
                case "RFC822" -> out.text("RFC822 ").literal(v.raw);
                case "RFC822.HEADER" -> out.text("RFC822.HEADER ").literal(v.headerBytes());
                case "RFC822.TEXT" -> out.text("RFC822.TEXT ").literal(v.textBytes());
                default -> {
                    byte[] b = v.section(i.part(), i.text(), i.fields());
                    out.text("BODY[").text(i.sectionLabel()).text("]");
                    if (i.origin() >= 0) {
                        out.text("<").num(i.origin()).text(">");
                        int from = (int) Math.min(b.length, i.origin());
                        int len = (int) Math.min(b.length - from, i.count());
                        out.sp().literal(b, from, len);
                    } else {
                        out.sp().literal(b);
                    }
                }
            }
        }
        if (flagsChanged && !flagsSent) {
            out.text(" FLAGS (").text(s.flagText(p)).text(")");
        }
        return out.text(")").crlf();
    }

    // ---------------------------------------------------------------- STORE

    private void store(String tag, ImapReader r, boolean byUid) throws IOException {
        SelectedMailbox s = selected;
        r.space();
        SequenceSet set = SequenceSet.parse(r.word());
        r.space();
        String op = r.atom().toUpperCase(Locale.ROOT);
        boolean silent = op.endsWith(".SILENT");
        String base = silent ? op.substring(0, op.length() - 7) : op;
        FlagMode mode = switch (base) {
            case "FLAGS" -> FlagMode.REPLACE;
            case "+FLAGS" -> FlagMode.ADD;
            case "-FLAGS" -> FlagMode.REMOVE;
            default -> throw new ImapSyntaxException("expected FLAGS, +FLAGS or -FLAGS, got " + op);
        };
        r.space();
        List<String> names = new ArrayList<>();
        if (r.peekIs('(')) {
            names.addAll(r.flagList());
        } else {
            names.add(r.flag());
            while (r.optionalSpace()) {
                names.add(r.flag());
            }
        }
        r.end();
        int bits = flagBits(names, false);
        if (s.readOnly) {
            throw new ImapNo("READ-ONLY", "The mailbox is read-only (EXAMINE)");
        }
        int[] pos = positions(set, byUid);
        List<Integer> live = new ArrayList<>();
        for (int p : pos) {
            if (!s.gone(p)) {
                live.add(p);
            }
        }
        if (!live.isEmpty() && (bits != 0 || mode == FlagMode.REPLACE)) {
            int[] lp = live.stream().mapToInt(Integer::intValue).toArray();
            List<MessageRecord> changed = server.store().mailboxes().setFlags(s.name, UidSet.parse(uidSetOf(lp, 0, lp.length)), bits, mode);
            for (MessageRecord rec : changed) {
                int p = s.position(rec.uid());
                if (p >= 0) {
                    s.setFlags(p, rec.flags());
                }
            }
        }
        if (!silent) {
            Batch batch = new Batch();
            for (int p : live) {
                Resp out = new Resp().text("* ").num(p + 1).text(" FETCH (");
                if (byUid) {
                    out.text("UID ").num(s.uid(p) & 0xffffffffL).sp();
                }
                batch.add(out.text("FLAGS (").text(s.flagText(p)).text("))").crlf());
            }
            batch.done();
        }
        sync(byUid);
        tagged(tag, "OK", (byUid ? "UID " : "") + "STORE completed");
    }

    // ---------------------------------------------------------------- SEARCH

    private void search(String tag, ImapReader r, boolean byUid) throws IOException {
        SelectedMailbox s = selected;
        r.space();
        if (r.accept("CHARSET ")) {
            String cs = r.astring();
            if (!cs.equalsIgnoreCase("US-ASCII") && !cs.equalsIgnoreCase("UTF-8")) {
                throw new ImapNo("BADCHARSET (US-ASCII UTF-8)", "Unsupported charset " + cs);
            }
            r.space();
        }
        long maxUid = s.size() == 0 ? 0 : s.uid(s.size() - 1) & 0xffffffffL;
        SearchQuery q = SearchQuery.parse(r, server.zone(), s.size(), maxUid);
        List<Long> hits = new ArrayList<>();
        int[] all = new int[s.size()];
        for (int i = 0; i < all.length; i++) {
            all[i] = i;
        }
        if (!q.needsContent()) {
            for (int p : all) {
                if (q.test(message(p, null))) {
                    hits.add(byUid ? s.uid(p) & 0xffffffffL : p + 1);
                }
            }
        } else {
            readChunks(all, (chunk, bytes) -> {
                for (int p : chunk) {
                    byte[] b = bytes.get(s.uid(p));
                    if (q.test(message(p, b == null ? null : new MimeView(b)))) {
                        hits.add(byUid ? s.uid(p) & 0xffffffffL : p + 1);
                    }
                }
            });
        }
        Resp out = new Resp().text("* SEARCH");
        for (long h : hits) {
            out.sp().num(h);
        }
        conn.write(out.crlf().build());
        sync(byUid);
        tagged(tag, "OK", (byUid ? "UID " : "") + "SEARCH completed");
    }

    private SearchQuery.Message message(int p, MimeView v) {
        SelectedMailbox s = selected;
        return new SearchQuery.Message() {
            @Override
            public int seq() {
                return p + 1;
            }

            @Override
            public int uid() {
                return s.uid(p);
            }

            @Override
            public int flags() {
                return s.flags(p);
            }

            @Override
            public boolean recent() {
                return s.recent(s.uid(p));
            }

            @Override
            public int size() {
                return s.sizeAt(p);
            }

            @Override
            public long internalDate() {
                return s.date(p);
            }

            @Override
            public MimeView content() {
                return v;
            }
        };
    }

    // ---------------------------------------------------------------- COPY, MOVE, EXPUNGE

    private void copy(String tag, SequenceSet set, String dest, boolean byUid, boolean move) throws IOException {
        SelectedMailbox s = selected;
        String to = storeName(dest);
        Mailboxes mb = server.store().mailboxes();
        if (!mb.exists(to)) {
            throw new ImapNo("TRYCREATE", "No such mailbox: " + dest);
        }
        if (move && s.readOnly) {
            throw new ImapNo("READ-ONLY", "The mailbox is read-only (EXAMINE)");
        }
        int[] pos = positions(set, byUid);
        List<Integer> live = new ArrayList<>();
        for (int p : pos) {
            if (!s.gone(p)) {
                live.add(p);
            }
        }
        if (live.isEmpty()) {
            ok(tag, (move ? "MOVE" : "COPY") + " completed (nothing to do)");
            return;
        }
        int[] lp = live.stream().mapToInt(Integer::intValue).toArray();
        UidSet uids = UidSet.parse(uidSetOf(lp, 0, lp.length));
        CopyResult c = mb.copy(s.name, uids, to);
        server.changed(to);
        if (s.name.equals(to)) {
            s.stale = true;
        }
        String code = c.uids().length == 0 ? "" : "[COPYUID " + c.uidValidity() + " " + compact(c.sourceUids()) + " " + compact(c.uids())
                + "] ";
        if (!move) {
            ok(tag, code + "COPY completed");
            return;
        }
        write("* OK " + code + "Moved\r\n");
        mb.setFlags(s.name, uids, Flags.DELETED, FlagMode.ADD);
        ExpungeResult e = mb.expunge(s.name, uids);
        for (int uid : e.uids()) {
            s.applyExpunged(uid);
        }
        ok(tag, "MOVE completed");
    }

    private static String compact(int[] uids) {
        int[] sorted = uids.clone();
        java.util.Arrays.sort(sorted);
        boolean inOrder = java.util.Arrays.equals(sorted, uids);
        if (inOrder) {
            return SequenceSet.compact(uids, 0, uids.length);
        }
        StringBuilder sb = new StringBuilder();
        for (int u : uids) {
            sb.append(sb.length() > 0 ? "," : "").append(u & 0xffffffffL);
        }
        return sb.toString();
    }

    private void expunge(String tag, SequenceSet uidSet) throws IOException {
        SelectedMailbox s = selected;
        if (s.readOnly) {
            throw new ImapNo("READ-ONLY", "The mailbox is read-only (EXAMINE)");
        }
        Mailboxes mb = server.store().mailboxes();
        ExpungeResult e;
        if (uidSet == null) {
            e = mb.expunge(s.name);
        } else {
            int[] pos = positions(uidSet, true);
            if (pos.length == 0) {
                ok(tag, "UID EXPUNGE completed");
                return;
            }
            e = mb.expunge(s.name, UidSet.parse(uidSetOf(pos, 0, pos.length)));
        }
        for (int uid : e.uids()) {
            s.applyExpunged(uid);
        }
        ok(tag, (uidSet == null ? "" : "UID ") + "EXPUNGE completed");
    }
}
