package org.mstore.store;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.mstore.api.Flags;
import org.mstore.api.MailboxName;
import org.mstore.api.UidSet;

/**
 * A mailbox built at the store level, without an engine or a database: the messages of every stage of the removal
 * lifecycle, and the bytes each message was appended with.
 */
final class StoreFixture {
    static final MailboxName NAME = MailboxName.parse("user/alice");
    static final int UID_VALIDITY = 77;
    static final long T0 = 1_772_450_000_000L;
    /** The renamed list whose messages were removed. */
    static final String REMOVED_STAMP = "20260301110000";
    /** The renamed list whose messages wait for Remove. */
    static final String WAITING_STAMP = "20260301120000";

    final Path dir;
    final Map<Integer, byte[]> bytes = new LinkedHashMap<>();

    StoreFixture(Path dir) {
        this.dir = dir;
    }

    static byte[] message(int i) {
        StringBuilder body = new StringBuilder();
        for (int k = 0; k < 4 + i % 5; k++) {
            body.append("Line ").append(k).append(" of message ").append(i).append(", with some text to make it longer.\r\n");
        }
        return ("From: \"Tester\" <tester@example.com>\r\nTo: alice@example.com\r\nSubject: Message " + i
                + "\r\nMessage-ID: <m" + i + "@example.com>\r\nDate: Mon, 2 Mar 2026 10:00:00 +0000\r\n\r\n" + body)
                .getBytes(StandardCharsets.UTF_8);
    }

    /** Appends {@code n} messages to a mailbox; remembers their bytes. */
    int[] append(Mailbox mb, int n) throws IOException {
        List<Mailbox.NewMessage> msgs = new ArrayList<>();
        int first = mb.index().header().nextUid();
        for (int i = 0; i < n; i++) {
            byte[] b = message(first + i);
            msgs.add(new Mailbox.NewMessage(b, T0 + (first + i) * 1000L, 0));
        }
        int[] uids = mb.append(msgs, true);
        for (int i = 0; i < n; i++) {
            bytes.put(uids[i], msgs.get(i).content());
        }
        return uids;
    }

    Mailbox create() throws IOException {
        return Mailbox.create(dir, NAME, UID_VALIDITY, T0);
    }

    Mailbox open() throws IOException {
        return Mailbox.open(dir, NAME);
    }

    /**
     * Twelve messages at every stage: 1-2 expunged, cleaned and removed (gone); 3-4 expunged and cleaned, waiting
     * for Remove in {@code store.exp.}{@value #WAITING_STAMP}; 5-6 expunged since (committed in {@code store.exp});
     * 7 live with {@code \Deleted}; 8 live and {@code \Seen}; 9-12 live.
     */
    static StoreFixture lifecycle(Path dir) throws IOException {
        StoreFixture f = new StoreFixture(dir);
        try (Mailbox mb = f.create()) {
            f.append(mb, 12);
            mb.setFlag(UidSet.parse("1:7"), Flags.DELETED, true);
            mb.setFlag(UidSet.parse("8"), Flags.SEEN, true);
            mb.expunge(r -> r.uid() <= 2, T0 + 100_000);
            mb.clean(REMOVED_STAMP);
            mb.remove(s -> true);
            mb.expunge(r -> r.uid() <= 4, T0 + 200_000);
            mb.clean(WAITING_STAMP);
            mb.expunge(r -> r.uid() <= 6, T0 + 300_000);
        }
        return f;
    }

    /** The UIDs in the index, in order. */
    static List<Integer> uids(Mailbox mb) throws IOException {
        return mb.index().records().stream().map(IndexRecord::uid).toList();
    }

    static int flags(Mailbox mb, int uid) throws IOException {
        return mb.index().get(mb.index().find(uid)).flags();
    }

    static List<Path> listTree(Path root) throws IOException {
        try (var s = Files.walk(root)) {
            return s.toList();
        }
    }
}
