package org.mstore.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

import org.mstore.api.ExpireReport;
import org.mstore.api.MessageStore;
import org.mstore.api.OpenOptions;
import org.mstore.api.Stores;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "imexpire", mixinStandardHelpOptions = true, header = "Expire messages by rules.", description = {"Expire messages by rules (a file of 'rule.attribute: value' lines: folderpattern, "
        + "messagedays, messagecount, foldersize, messagesize, deleted, seen, exclusive, regexp).",
        "Default rule file: <store>/store.expirerule."})
final class ImexpireCommand implements Callable<Integer> {
    @Mixin
    StoreOption store;
    @Spec
    CommandSpec spec;

    @Option(names = {"-f", "--rules"}, paramLabel = "FILE", description = "The rule file.")
    Path rules;

    @Option(names = "-n", description = "Trial run: report what would expire, change nothing.")
    boolean dryRun;

    @Override
    public Integer call() throws Exception {
        Path root = store.root();
        Path file = rules != null ? rules : root.resolve("store.expirerule");
        PrintWriter out = spec.commandLine().getOut();
        try (MessageStore e = Stores.open(root, OpenOptions.cli("imexpire"))) {
            ExpireReport report = e.maintenance().expire(file, dryRun);
            List<ExpireReport.Result> results = report.results();
            long total = 0;
            List<ExpireReport.Result> failed = results.stream().filter(ExpireReport.Result::failed).toList();
            for (ExpireReport.Result r : results) {
                if (r.failed()) {
                    out.printf("skipped %s: %s%n", r.mailbox(), r.problem());
                    continue;
                }
                out.printf("%s %s: %d messages, %d bytes (rules: %s)%n", dryRun ? "would expire" : "expired", r.mailbox(), r.messages(),
                        r.bytes(), String.join(", ", r.rules()));
                total += r.messages();
            }
            out.println((dryRun ? "trial run: " + total + " messages would expire; nothing changed" : "expired " + total + " messages")
                    + " (" + report.rules() + " rules, " + (results.size() - failed.size()) + " mailboxes affected)");
            if (!failed.isEmpty()) {
                out.flush();
                throw new IllegalStateException(failed.size() + " mailbox" + (failed.size() == 1 ? "" : "es")
                        + " could not be expired (repair requested): " + failed.get(0).mailbox() + (failed.size() > 1 ? ", ..." : ""));
            }
        }
        return 0;
    }
}
