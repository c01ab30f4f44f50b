package org.mstore.cli;

import java.io.PrintWriter;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import java.util.concurrent.Callable;

import org.mstore.api.ExpungedMessage;
import org.mstore.api.MessageStore;
import org.mstore.api.UidSet;
import org.mstore.api.UnexpungeResult;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "unexpunge", mixinStandardHelpOptions = true, header = "List or recover a mailbox's expunged messages.",
        description = {"Lists a mailbox's expunged messages (--list), or recovers those of a UID set (or --all) as new messages "
                + "with new UIDs, their bytes, internal dates and the flags they had (less \\Deleted), and prints "
                + "'old UID -> new UID' for each.",
                "A message can be recovered until Remove deletes its file (store.cleanupage after its Clean; on a Cassandra store, until its Purge), and only once."})
final class UnexpungeCommand implements Callable<Integer> {
    @Mixin
    StoreOption store;
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "MAILBOX", description = "The mailbox, e.g. user/alice.")
    String mailbox;

    @Parameters(index = "1", arity = "0..1", paramLabel = "UIDSET", description = "The old UIDs to recover: 25, 3,7,9:12, 5:*.")
    String uidSet;

    @Option(names = "--all", description = "Recover every expunged message that can still be recovered.")
    boolean all;

    @Option(names = "--list", description = "List the expunged messages (old UID, expunged at, size, date, from, subject) and whether "
            + "each can still be recovered; recover nothing.")
    boolean list;

    @Override
    public Integer call() throws Exception {
        if (list && (all || uidSet != null)) {
            throw new IllegalArgumentException("--list recovers nothing: give it without a UID set or --all");
        }
        if (!list && all == (uidSet != null)) {
            throw new IllegalArgumentException(all ? "give a UID set or --all, not both" : "give a UID set, --all or --list");
        }
        UidSet uids = uidSet == null ? null : UidSet.parse(uidSet);
        PrintWriter out = spec.commandLine().getOut();
        try (MessageStore s = store.open("unexpunge")) {
            ZoneId zone = s.clock().getZone();
            if (list) {
                print(s.mailboxes().expunged(mailbox), out, zone);
                return 0;
            }
            if (all) {
                List<ExpungedMessage> can = s.mailboxes().expunged(mailbox).stream().filter(ExpungedMessage::recoverable).toList();
                if (can.isEmpty()) {
                    out.println("nothing to recover in " + mailbox);
                    return 0;
                }
                StringBuilder b = new StringBuilder();
                for (ExpungedMessage m : can) {
                    b.append(b.isEmpty() ? "" : ",").append(m.uid());
                }
                uids = UidSet.parse(b.toString());
            }
            UnexpungeResult r = s.mailboxes().unexpunge(mailbox, uids);
            for (int i = 0; i < r.count(); i++) {
                out.println(r.oldUids()[i] + " -> " + r.newUids()[i]);
            }
            return 0;
        }
    }

    static void print(List<ExpungedMessage> list, PrintWriter out, ZoneId zone) {
        if (list.isEmpty()) {
            out.println("no expunged messages");
            return;
        }
        out.printf("%-8s %-19s %10s  %-22s %-31s %-30s %s%n", "OLD UID", "EXPUNGED", "SIZE", "STATE", "DATE", "FROM", "SUBJECT");
        for (ExpungedMessage m : list) {
            String state = switch (m.state()) {
                case RECOVERABLE -> "recoverable";
                case RECOVERED -> "recovered as UID " + m.recoveredAs();
                case REMOVED -> "removed by Remove";
            };
            out.printf("%-8d %-19s %10d  %-22s %-31s %-30s %s%n", m.uid(), when(m.expungedAt(), zone), m.size(), state,
                    cut(m.date(), 31), cut(m.from(), 30), oneLine(m.subject()));
        }
        long can = list.stream().filter(ExpungedMessage::recoverable).count();
        long recovered = list.stream().filter(m -> m.state() == ExpungedMessage.State.RECOVERED).count();
        long waiting = list.stream().filter(m -> m.state() != ExpungedMessage.State.REMOVED).mapToLong(ExpungedMessage::size).sum();
        out.println(list.size() + " expunged: " + can + " recoverable, " + recovered + " recovered, " + (list.size() - can - recovered)
                + " removed; " + waiting + " bytes of message files waiting for Remove");
    }

    private static String when(Instant t, ZoneId zone) {
        return t == null ? "-" : ImcheckCommand.WHEN.format(t.atZone(zone));
    }

    private static String oneLine(String s) {
        return s == null ? "" : s.replaceAll("[\\r\\n\\t]+", " ").strip();
    }

    private static String cut(String s, int n) {
        String t = oneLine(s);
        return t.length() <= n ? t : t.substring(0, n - 3) + "...";
    }
}
