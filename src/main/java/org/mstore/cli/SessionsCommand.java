package org.mstore.cli;

import java.io.PrintWriter;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.concurrent.Callable;

import org.mstore.api.MessageStore;
import org.mstore.api.SessionInfo;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(name = "sessions", mixinStandardHelpOptions = true, header = "Show the clients connected to the store's IMAP and LMTP servers.", description = "The clients connected to the store's IMAP and LMTP servers, in every process.")
final class SessionsCommand implements Callable<Integer> {
    @Mixin
    StoreOption store;
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        try (MessageStore s = store.open("sessions")) {
            s.info().requireMailUsers();
            List<SessionInfo> all = s.sessions().list();
            PrintWriter out = spec.commandLine().getOut();
            DateTimeFormatter f = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(s.clock().getZone());
            out.printf("%-16s %-5s %-16s %-22s %-30s %-19s %-12s %s%n", "Process", "Proto", "User", "Remote", "Mailbox", "Since",
                    "Last command", "Idle");
            for (SessionInfo i : all) {
                out.printf("%-16s %-5s %-16s %-22s %-30s %-19s %-12s %s%n", i.process(), i.protocol(), dash(i.user()), i.remote(),
                        dash(i.mailbox()), f.format(i.since()), dash(i.lastCommand()), i.idle() ? "IDLE" : "-");
            }
            out.println(all.size() + " session" + (all.size() == 1 ? "" : "s"));
        }
        return 0;
    }

    private static String dash(String s) {
        return s == null ? "-" : s;
    }
}
