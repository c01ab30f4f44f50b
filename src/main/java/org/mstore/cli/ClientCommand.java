package org.mstore.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

import org.mstore.api.ExpungeResult;
import org.mstore.api.Flags;
import org.mstore.api.MessageStore;
import org.mstore.api.NewMessage;
import org.mstore.api.UidSet;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "client", mixinStandardHelpOptions = true, header = "Do what a mail client would: append, delete, undelete, expunge, fetch.", description = "What a mail client would do: append, delete, undelete, expunge, fetch.",
        subcommands = {ClientCommand.Append.class, ClientCommand.Delete.class, ClientCommand.Undelete.class,
                ClientCommand.Expunge.class, ClientCommand.Fetch.class})
final class ClientCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "missing command: use one of append, delete, undelete, expunge, fetch");
    }

    /**
     * The name its log lines carry: the seed's lines for a corrupt mailbox met by a client ("Store Critical: Unable to
     * open mailbox ..."), under this command's own name and pid, never a server's that is not running.
     */
    static final String PROCESS = "client";

    @Command(name = "append", mixinStandardHelpOptions = true, header = "Append messages; print their UIDs.", description = "Append messages (each FILE is one RFC 5322 message, or an mbox file starting with a 'From ' line); prints the new UIDs.")
    static final class Append implements Callable<Integer> {
        @Mixin
        StoreOption store;
        @Spec
        CommandSpec spec;
        @Parameters(index = "0", paramLabel = "MAILBOX")
        String mailbox;
        @Parameters(index = "1..*", arity = "1..*", paramLabel = "FILE")
        List<Path> files;
        @Option(names = "--flags", split = ",", paramLabel = "FLAG", description = "Flags to set: seen, answered, flagged, deleted, draft.")
        List<String> flags = new ArrayList<>();

        @Override
        public Integer call() throws Exception {
            int f = 0;
            for (String s : flags) {
                f |= Flags.parse(s);
            }
            try (MessageStore e = store.open(PROCESS)) {
                long max = e.mailboxes().maxMessageSize();
                List<byte[]> messages = new ArrayList<>();
                for (Path p : files) {
                    messages.addAll(read(p, max, e));
                }
                long now = e.clock().millis();
                List<NewMessage> news = new ArrayList<>(messages.size());
                for (byte[] m : messages) {
                    news.add(new NewMessage(m, now, f));
                }
                int[] uids = e.mailboxes().append(mailbox, news).uids();
                PrintWriter out = spec.commandLine().getOut();
                for (int uid : uids) {
                    out.println(uid);
                }
            }
            return 0;
        }

        /**
         * The messages of one file (one message, or the messages of an mbox file), each checked as the store would, so
         * that a refusal names the file; a file too big to be a message is refused before it is read.
         */
        private static List<byte[]> read(Path p, long max, MessageStore e) {
            if (Files.isDirectory(p)) {
                throw new IllegalArgumentException(p + " is a directory, not a message file");
            }
            byte[] data;
            try {
                if (!Mbox.startsLikeMbox(p) && Files.size(p) > max) {
                    throw new IllegalArgumentException(p + ": the message is " + Files.size(p) + " bytes, over store.message.maxsize ("
                            + max + " bytes)");
                }
                data = Files.readAllBytes(p);
            } catch (NoSuchFileException ex) {
                throw new IllegalArgumentException("no such file: " + p);
            } catch (java.io.IOException ex) {
                throw new IllegalArgumentException("cannot read " + p + ": " + ex.getMessage());
            }
            if (data.length == 0) {
                throw new IllegalArgumentException(p + " is empty, not a message");
            }
            List<byte[]> parts = Mbox.isMbox(data) ? Mbox.split(data) : List.of(data);
            for (int i = 0; i < parts.size(); i++) {
                String where = parts.size() == 1 ? p.toString() : p + " (message " + (i + 1) + " of " + parts.size() + ")";
                String why = e.mailboxes().checkMessage(parts.get(i)).orElse(null);
                if (why != null) {
                    throw new IllegalArgumentException(where + ": the message " + why);
                }
            }
            return parts;
        }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true, header = "Set \\Deleted on messages.", description = "Set \\Deleted on the messages of a UID set (1:101, 3,7,9:12, *).")
    static final class Delete implements Callable<Integer> {
        @Mixin
        StoreOption store;
        @Spec
        CommandSpec spec;
        @Parameters(index = "0", paramLabel = "MAILBOX")
        String mailbox;
        @Parameters(index = "1", paramLabel = "UID-SET")
        String uids;

        @Override
        public Integer call() throws Exception {
            UidSet set = UidSet.parse(uids);
            try (MessageStore e = store.open(PROCESS)) {
                int n = e.mailboxes().setDeleted(mailbox, set, true);
                spec.commandLine().getOut().println("flagged " + n + " messages \\Deleted in " + mailbox);
            }
            return 0;
        }
    }

    @Command(name = "undelete", mixinStandardHelpOptions = true, header = "Clear \\Deleted on messages.", description = "Clear \\Deleted on the messages of a UID set.")
    static final class Undelete implements Callable<Integer> {
        @Mixin
        StoreOption store;
        @Spec
        CommandSpec spec;
        @Parameters(index = "0", paramLabel = "MAILBOX")
        String mailbox;
        @Parameters(index = "1", paramLabel = "UID-SET")
        String uids;

        @Override
        public Integer call() throws Exception {
            UidSet set = UidSet.parse(uids);
            try (MessageStore e = store.open(PROCESS)) {
                int n = e.mailboxes().setDeleted(mailbox, set, false);
                spec.commandLine().getOut().println("cleared \\Deleted on " + n + " messages in " + mailbox);
            }
            return 0;
        }
    }

    @Command(name = "expunge", mixinStandardHelpOptions = true, header = "Expunge the \\Deleted messages.", description = "Expunge the \\Deleted messages.")
    static final class Expunge implements Callable<Integer> {
        @Mixin
        StoreOption store;
        @Spec
        CommandSpec spec;
        @Parameters(index = "0", paramLabel = "MAILBOX")
        String mailbox;

        @Override
        public Integer call() throws Exception {
            try (MessageStore e = store.open(PROCESS)) {
                ExpungeResult r = e.mailboxes().expunge(mailbox);
                long expunged = e.mailboxes().get(mailbox).expunged();
                spec.commandLine().getOut().println("expunged " + r.messages() + " messages (" + r.bytes() + " bytes) from " + mailbox
                        + "; Expunged is now " + expunged);
            }
            return 0;
        }
    }

    @Command(name = "fetch", mixinStandardHelpOptions = true, header = "Print a message.", description = "Print a message.")
    static final class Fetch implements Callable<Integer> {
        @Mixin
        StoreOption store;
        @Spec
        CommandSpec spec;
        @Parameters(index = "0", paramLabel = "MAILBOX")
        String mailbox;
        @Parameters(index = "1", paramLabel = "UID")
        int uid;

        @Override
        public Integer call() throws Exception {
            try (MessageStore e = store.open(PROCESS)) {
                byte[] m = e.mailboxes().fetch(mailbox, uid);
                PrintWriter out = spec.commandLine().getOut();
                out.flush();
                System.out.write(m);
                System.out.flush();
            }
            return 0;
        }
    }
}
