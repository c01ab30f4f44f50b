package org.mstore.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

import org.mstore.api.MailboxInfo;
import org.mstore.api.Mailboxes;
import org.mstore.api.MessageStore;

import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "mboxutil", mixinStandardHelpOptions = true, header = "Create, delete, rename or list mailboxes.", description = "Create (-c), delete (-d), rename (-r) or list (-l) mailboxes.")
final class MboxutilCommand implements Callable<Integer> {
    @Mixin
    StoreOption store;
    @Spec
    CommandSpec spec;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Op op;

    static final class Op {
        @Option(names = "-c", paramLabel = "MAILBOX", description = "Create a mailbox (user/<user>[/<folder>...]).")
        String create;
        @Option(names = "-d", paramLabel = "MAILBOX", description = "Delete a mailbox and every mailbox below it.")
        String delete;
        @Option(names = "-r", arity = "2", paramLabel = "MAILBOX", description = "Rename a folder and every mailbox below it: -r OLD NEW.")
        String[] rename;
        @Option(names = "-l", description = "List mailboxes.")
        boolean list;
    }

    @Option(names = "-p", paramLabel = "PARTITION", defaultValue = Mailboxes.DEFAULT_PARTITION,
            description = "Partition for -c (default: ${DEFAULT-VALUE}).")
    String partition;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        try (MessageStore e = store.open("mboxutil")) {
            if (op.create != null) {
                MailboxInfo m = e.mailboxes().create(op.create, partition);
                out.println("created " + m.name());
            } else if (op.delete != null) {
                for (String n : e.mailboxes().delete(op.delete)) {
                    out.println("deleted " + n);
                }
            } else if (op.rename != null) {
                for (String n : e.mailboxes().rename(op.rename[0], op.rename[1])) {
                    out.println("renamed to " + n);
                }
            } else {
                out.printf("%-40s %-10s %10s %12s %9s%n", "Mailbox", "Partition", "Messages", "Size", "Expunged");
                for (MailboxInfo m : e.mailboxes().list()) {
                    out.printf("%-40s %-10s %10d %12d %9d%n", m.name(), m.partition(), m.messageCount(), m.sizeBytes(), m.expunged());
                }
            }
        }
        return 0;
    }
}
