package org.mstore.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.mstore.api.Action;
import org.mstore.api.MailboxInfo;
import org.mstore.api.MailboxName;
import org.mstore.api.NewMessage;
import org.mstore.api.OpenOptions;
import org.mstore.api.QueueEntry;
import org.mstore.api.TaskResult;
import org.mstore.api.UidSet;
import org.mstore.classic.ClassicBackend;
import org.mstore.engine.Engine;
import org.mstore.store.ClassicStore;
import org.mstore.tools.MessageGenerator;

/**
 * A real store in a temporary directory with a real H2 file, opened with a settable clock: what every
 * engine test starts from.
 */
public final class TestStore implements AutoCloseable {
    public final Path root;
    public final SettableClock clock;
    public final Engine engine;

    private TestStore(Path root, SettableClock clock, Engine engine) {
        this.root = root;
        this.clock = clock;
        this.engine = engine;
    }

    /** Creates a store at {@code dir/store}. */
    public static TestStore create(Path dir) throws IOException {
        SettableClock clock = SettableClock.fixed();
        Path root = dir.resolve("store");
        Engine e = Engine.init(root, options(clock));
        return new TestStore(root, clock, e);
    }

    public static OpenOptions options(SettableClock clock) {
        return new OpenOptions(clock, "test", false, false);
    }

    /** Opens the same store a second time, as another process would (shares the clock). */
    public Engine openAgain() throws IOException {
        return Engine.open(root, options(clock));
    }

    /** Creates a mailbox (and its user's INBOX when it is a folder). */
    public void mailbox(String name) throws IOException {
        MailboxName n = MailboxName.parse(name);
        if (!n.isInbox() && !engine.context().mboxlist().exists(n.inbox().toString())) {
            engine.mailboxes().create(n.inbox().toString(), ClassicStore.DEFAULT_PARTITION);
        }
        engine.mailboxes().create(name, ClassicStore.DEFAULT_PARTITION);
    }

    /** Appends {@code n} small, distinct messages; returns their UIDs. */
    public int[] append(String mailbox, int n) throws IOException {
        List<byte[]> msgs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            msgs.add(message("Message " + i + " to " + mailbox, "Body " + i + "\r\n"));
        }
        return append(mailbox, msgs, 0);
    }

    /** Appends messages, arriving now, with {@code flags}; returns their UIDs. */
    public int[] append(String mailbox, List<byte[]> msgs, int flags) throws IOException {
        return engine.mailboxes().append(mailbox, news(msgs, clock.millis(), flags)).uids();
    }

    /** Messages to append, all arriving at {@code date} with {@code flags}. */
    public static List<NewMessage> news(List<byte[]> msgs, long date, int flags) {
        List<NewMessage> out = new ArrayList<>(msgs.size());
        for (byte[] m : msgs) {
            out.add(new NewMessage(m, date, flags));
        }
        return out;
    }

    /** Appends {@code n} generated, realistic messages. */
    public int[] appendGenerated(String mailbox, int n, long seed) throws IOException {
        MessageGenerator g = new MessageGenerator(seed);
        List<byte[]> msgs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            msgs.add(g.next("tester").bytes());
        }
        return append(mailbox, msgs, 0);
    }

    public static byte[] message(String subject, String body) {
        return ("From: \"Tester\" <tester@example.com>\r\nTo: user@example.com\r\nSubject: " + subject
                + "\r\nMessage-ID: <" + Math.abs(subject.hashCode()) + "@example.com>\r\n\r\n" + body).getBytes(StandardCharsets.UTF_8);
    }

    /** Sets {@code \Deleted} on {@code uids} and expunges them. */
    public void expunge(String mailbox, String uids) throws IOException {
        engine.mailboxes().setDeleted(mailbox, UidSet.parse(uids), true);
        engine.mailboxes().expunge(mailbox);
    }

    /** Queues a forced task ("Clean now", "Purge now"...) and steps impurge until nothing is due. */
    public List<TaskResult> requestAndDrain(String mailbox, Action action) {
        engine.queue().request(mailbox, action);
        return engine.daemon().drain();
    }

    /** The pending entries, in RecNo order. */
    public List<QueueEntry> queue() {
        return engine.queue().entriesAfter(0, 10_000);
    }

    public MailboxInfo info(String mailbox) {
        return engine.mailboxes().get(mailbox);
    }

    /** Opens a mailbox's directory as the classic store does (no self-healing): to look at what is on disk. */
    public org.mstore.store.Mailbox open(String mailbox) throws IOException {
        return org.mstore.store.Mailbox.open(dir(mailbox), MailboxName.parse(mailbox));
    }

    /** The mailbox's directory on disk. */
    public Path dir(String mailbox) {
        return ((ClassicBackend) engine.backend()).directory(info(mailbox));
    }

    /** Lines of the store's default log (empty if none yet). */
    public List<String> logLines() throws IOException {
        Path f = engine.log().file();
        return Files.exists(f) ? Files.readAllLines(f) : List.of();
    }

    @Override
    public void close() {
        engine.close();
    }
}
