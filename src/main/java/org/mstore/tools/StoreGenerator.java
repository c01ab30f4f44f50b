package org.mstore.tools;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import org.mstore.api.MessageStore;
import org.mstore.api.NewMessage;

/**
 * {@code generate}: a deterministic synthetic store: {@code users} users ({@code user0001}...), each with an
 * INBOX and {@code folders} folders, {@code messages} messages per mailbox.
 */
public final class StoreGenerator {
    public static final String[] FOLDER_NAMES = {"Sent", "Drafts", "Trash", "Archive", "Projects", "Receipts", "Travel",
            "Newsletters", "Family", "Work"};

    /** What was generated. */
    public record Summary(int mailboxes, long messages, long bytes) {
    }

    private StoreGenerator() {
    }

    public static String userName(int i) {
        return String.format("user%04d", i);
    }

    public static List<String> mailboxNames(int users, int folders) {
        List<String> out = new ArrayList<>();
        for (int u = 1; u <= users; u++) {
            String inbox = "user/" + userName(u);
            out.add(inbox);
            for (int f = 0; f < folders; f++) {
                String name = f < FOLDER_NAMES.length ? FOLDER_NAMES[f] : "Folder" + (f + 1);
                out.add(inbox + "/" + name);
            }
        }
        return out;
    }

    /** Fills one mailbox (created, with its user's INBOX, if missing) with {@code messages} messages. */
    public static Summary generateInto(MessageStore engine, String mailbox, int messages, long seed) throws IOException {
        org.mstore.api.MailboxName name = org.mstore.api.MailboxName.parse(mailbox);
        for (org.mstore.api.MailboxName n : java.util.List.of(name.inbox(), name)) {
            if (!engine.mailboxes().exists(n.toString())) {
                engine.mailboxes().create(n.toString());
            }
        }
        long[] bytes = fill(engine, new MessageGenerator(seed), name.toString(), messages);
        return new Summary(1, messages, bytes[0]);
    }

    private static long[] fill(MessageStore engine, MessageGenerator gen, String name, int messages) throws IOException {
        String user = name.split("/")[1];
        long bytes = 0;
        int batch = 2000;
        for (int done = 0; done < messages; done += batch) {
            List<NewMessage> msgs = new ArrayList<>();
            for (int i = done; i < Math.min(messages, done + batch); i++) {
                MessageGenerator.Generated g = gen.next(user);
                msgs.add(new NewMessage(g.bytes(), g.internalDate(), g.flags()));
                bytes += g.bytes().length;
            }
            engine.mailboxes().append(name, msgs, false);
        }
        return new long[] {bytes};
    }

    public static Summary generate(MessageStore engine, int users, int folders, int messages, long seed) throws IOException {
        if (users < 1 || folders < 0 || messages < 0) {
            throw new IllegalArgumentException("generate needs --users >= 1, --folders >= 0 and --messages >= 0");
        }
        MessageGenerator gen = new MessageGenerator(seed);
        long total = 0;
        long bytes = 0;
        List<String> names = mailboxNames(users, folders);
        for (String name : names) {
            if (!engine.mailboxes().exists(name)) {
                engine.mailboxes().create(name);
            }
            bytes += fill(engine, gen, name, messages)[0];
            total += messages;
        }
        return new Summary(names.size(), total, bytes);
    }
}
