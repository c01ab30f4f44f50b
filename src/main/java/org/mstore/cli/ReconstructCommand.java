package org.mstore.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

import org.mstore.api.CheckReport;
import org.mstore.api.MessageStore;
import org.mstore.api.OpenOptions;
import org.mstore.api.Stores;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "reconstruct", mixinStandardHelpOptions = true, header = "Repair a mailbox, check it, or rebuild the mailbox list.", description = {"Repair a mailbox now (rebuild store.idx and store.cache from the message files), "
        + "or check it with -n (changes nothing), or rebuild the mboxlist from the partitions with --mboxlist."})
final class ReconstructCommand implements Callable<Integer> {
    @Mixin
    StoreOption store;
    @Spec
    CommandSpec spec;

    @Option(names = "-n", description = "Check only: report problems, change nothing. Exit status 3 if the mailbox needs a repair.")
    boolean check;

    @Option(names = "--mboxlist", description = "Rebuild the mailbox list from the partitions.")
    boolean mboxlist;

    @Parameters(index = "0", arity = "0..1", paramLabel = "MAILBOX")
    String mailbox;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (mboxlist) {
            if (mailbox != null || check) {
                throw new IllegalArgumentException("--mboxlist takes no MAILBOX and no -n");
            }
            Path root = store.root();
            try (MessageStore e = Stores.openForRebuild(root, OpenOptions.cli("reconstruct"))) {
                out.println("mboxlist rebuilt: " + e.maintenance().rebuildMailboxList() + " mailboxes");
                for (String note : e.maintenance().rebuildNotes()) {
                    out.println(note);
                }
            }
            return 0;
        }
        if (mailbox == null) {
            throw new IllegalArgumentException("give a MAILBOX (or --mboxlist)");
        }
        try (MessageStore e = store.open("reconstruct")) {
            if (check) {
                CheckReport r = e.maintenance().inspect(mailbox);
                if (r.healthy()) {
                    out.println(mailbox + ": ok");
                    return 0;
                }
                for (String p : r.problems()) {
                    out.println(mailbox + ": " + p);
                }
                spec.commandLine().getErr().println(spec.qualifiedName() + ": " + mailbox + " needs a repair (" + r.problems().size() + " problems)");
                return 3;
            }
            out.println(mailbox + ": " + e.maintenance().reconstruct(mailbox));
        }
        return 0;
    }
}
