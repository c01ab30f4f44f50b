package org.mstore.cli;

import java.util.concurrent.Callable;

import org.mstore.api.MessageStore;
import org.mstore.api.OpenOptions;
import org.mstore.api.Stores;
import org.mstore.tools.StoreGenerator;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "generate", mixinStandardHelpOptions = true, header = "Fill a store with synthetic users and messages.", description = {"Fill a store with a deterministic synthetic population: N users, each with an INBOX "
        + "and F folders, M messages per mailbox; or, with --mailbox, M messages in that one mailbox.",
        "Creates the store if it does not exist; waits for one that another process is creating."})
final class GenerateCommand implements Callable<Integer> {
    @Mixin
    StoreOption store;
    @Spec
    CommandSpec spec;

    @Option(names = "--users", defaultValue = "1", paramLabel = "N")
    int users;
    @Option(names = "--mailbox", paramLabel = "MAILBOX", description = "Fill only this mailbox (created if missing).")
    String mailbox;
    @Option(names = "--folders", defaultValue = "0", paramLabel = "F")
    int folders;
    @Option(names = "--messages", required = true, paramLabel = "M", description = "Messages per mailbox.")
    int messages;
    @Option(names = "--seed", defaultValue = "1", paramLabel = "S")
    long seed;

    @Override
    public Integer call() throws Exception {
        if (users < 1 || users > 100_000 || folders < 0 || folders > 1000 || messages < 0 || messages > 10_000_000) {
            throw new IllegalArgumentException("out of range: --users 1..100000, --folders 0..1000, --messages 0..10000000");
        }
        java.nio.file.Path root = store.root();
        long t0 = System.nanoTime();
        // a store that another process is creating is waited for, then filled
        try (MessageStore e = Stores.openOrInit(root, OpenOptions.cli("generate"))) {
            StoreGenerator.Summary s = mailbox != null ? StoreGenerator.generateInto(e, mailbox, messages, seed)
                    : StoreGenerator.generate(e, users, folders, messages, seed);
            double secs = (System.nanoTime() - t0) / 1e9;
            spec.commandLine().getOut().printf(java.util.Locale.ROOT, "generated %d mailboxes, %d messages, %.1f MB in %.1f s%n",
                    s.mailboxes(), s.messages(), s.bytes() / 1e6, secs);
        }
        return 0;
    }
}
