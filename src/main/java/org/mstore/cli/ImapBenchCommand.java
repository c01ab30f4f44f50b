package org.mstore.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;

import org.mstore.api.MessageStore;
import org.mstore.tools.ImapBench;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "imapbench", mixinStandardHelpOptions = true, header = "Measure an IMAP server on one big mailbox and many sessions.", description = {"Measure an IMAP server (mstore imapd or another, e.g. Dovecot, on the same messages):",
        "one session on a big mailbox, then many concurrent sessions doing a realistic mix. --prepare and --export-maildir "
        + "set a store up for it (users with messages; Maildirs for the other server)."})
final class ImapBenchCommand implements Callable<Integer> {
    @Mixin
    StoreOption store;
    @Spec
    CommandSpec spec;

    @Option(names = "--host", defaultValue = "127.0.0.1", paramLabel = "HOST")
    String host;
    @Option(names = "--port", defaultValue = "1143", paramLabel = "PORT")
    int port;
    @Option(names = "--password-file", paramLabel = "FILE", description = "The users' password (one line).")
    Path passwordFile;
    @Option(names = "--user", paramLabel = "USER", description = "The user of the big mailbox (its INBOX).")
    String user;
    @Option(names = "--messages", defaultValue = "200000", paramLabel = "N", description = "Messages in the big mailbox.")
    int messages;
    @Option(names = "--sessions", defaultValue = "50", paramLabel = "N", description = "Concurrent sessions of the mix (0: none).")
    int sessions;
    @Option(names = "--seconds", defaultValue = "60", paramLabel = "S", description = "How long the mix runs.")
    int seconds;
    @Option(names = "--mix-users", defaultValue = "mix%02d", paramLabel = "PATTERN", description = "Users of the mix (String.format).")
    String mixUsers;
    @Option(names = "--prepare", paramLabel = "N", description = "Add the mix's users to --store with N messages each, then exit.")
    Integer prepare;
    @Option(names = "--export-maildir", paramLabel = "DIR", description = "Export every user's INBOX of --store as DIR/<user>/Maildir, then exit.")
    Path export;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        String password = passwordFile == null ? null : Files.readString(passwordFile).strip();
        if (prepare != null || export != null) {
            try (MessageStore s = store.open("imapbench")) {
                if (prepare != null) {
                    if (password == null) {
                        throw new IllegalArgumentException("--prepare needs --password-file");
                    }
                    ImapBench.prepareUsers(s, mixUsers, password, sessions, prepare);
                    out.println("prepared " + sessions + " users " + String.format(mixUsers, 1) + "... with " + prepare + " messages");
                }
                if (export != null) {
                    for (org.mstore.api.UserInfo u : s.users().list()) {
                        int n = ImapBench.exportMaildir(s, "user/" + u.name(), export.resolve(u.name()).resolve("Maildir"));
                        out.println("exported " + n + " messages of " + u.name());
                    }
                }
            }
            return 0;
        }
        if (password == null) {
            throw new IllegalArgumentException("--password-file is required");
        }
        if (user != null) {
            Map<String, Long> t = ImapBench.single(host, port, user, password, messages);
            out.println("one session, " + messages + " messages:");
            t.forEach((k, v) -> out.printf("  %-28s %8d ms%n", k, v));
            out.flush();
        }
        if (sessions > 0) {
            ImapBench.print(out, ImapBench.mix(host, port, mixUsers, password, sessions, seconds));
        }
        return 0;
    }
}
