package org.mstore.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

import org.mstore.engine.Engine;
import org.mstore.engine.EngineOptions;
import org.mstore.mailbox.MailboxService;
import org.mstore.store.ClassicStore;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "reconstruct", description = {"Repair a mailbox now (rebuild store.idx and store.cache from the message files),",
        "or check it with -n (changes nothing), or rebuild the mboxlist from the partitions with --mboxlist."})
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
            // Rebuilding creates a database: only where there is a store to rebuild it from.
            if (!Files.isDirectory(root.resolve(ClassicStore.PARTITIONS))) {
                throw new IllegalArgumentException("no store at " + root + ": no " + ClassicStore.PARTITIONS
                        + "/ directory to rebuild the mailbox list from");
            }
            try (Engine e = Engine.openForRebuild(root, EngineOptions.cli("reconstruct"))) {
                out.println("mboxlist rebuilt: " + e.rebuildMailboxList() + " mailboxes");
            }
            return 0;
        }
        if (mailbox == null) {
            throw new IllegalArgumentException("give a MAILBOX (or --mboxlist)");
        }
        try (Engine e = store.open("reconstruct")) {
            if (check) {
                MailboxService.CheckReport r = e.mailboxes().check(mailbox, false);
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
            out.println(mailbox + ": " + e.reconstruct(mailbox));
        }
        return 0;
    }
}
