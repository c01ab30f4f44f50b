package org.mstore.security;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;

import org.mstore.db.Database;

/**
 * A process that uses a store's database, for the tests that need several real processes on one store:
 *
 * <ul>
 * <li>{@code hold STORE}: opens the database, prints {@code ready owner=true|false}, and keeps it open until a line
 * (or the end) comes on standard input; then closes it and exits, or with {@code hold STORE crash} halts without
 * closing anything (as a killed process would);</li>
 * <li>{@code work STORE MILLIS NAME}: opens the database and, for MILLIS, writes a row (a transaction) and reads it
 * back, again and again; prints {@code ready} once it works, then at the end {@code ops N errors E lost L
 * longest-gap-ms G owner=true|false} and each error on a line of its own ({@code lost}: a value read back that is
 * not the one just committed).</li>
 * </ul>
 */
public final class DatabaseWorker {
    private DatabaseWorker() {
    }

    public static void main(String[] args) throws Exception {
        Path store = Path.of(args[1]);
        switch (args[0]) {
            case "hold" -> hold(store, args.length > 2 && args[2].equals("crash"));
            case "work" -> work(store, Long.parseLong(args[2]), args[3]);
            default -> throw new IllegalArgumentException(args[0]);
        }
    }

    private static void hold(Path store, boolean crash) throws Exception {
        Database db = Database.open(store, false);
        db.schemaVersion();
        System.out.println("ready owner=" + db.servesOthers());
        System.out.flush();
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
        if (crash) {
            Runtime.getRuntime().halt(3);
        }
        long t0 = System.nanoTime();
        long at = System.currentTimeMillis();
        db.close();
        System.out.println("closed in " + (System.nanoTime() - t0) / 1_000_000 + " ms, from " + at);
        System.out.flush();
    }

    private static void work(Path store, long millis, String name) throws Exception {
        try (Database db = Database.open(store, false)) {
            long ops = 0;
            long errors = 0;
            long lost = 0;
            long longestGap = 0;
            long longestGapEnd = 0;
            StringBuilder errs = new StringBuilder();
            long end = System.nanoTime() + millis * 1_000_000;
            long last = System.nanoTime();
            boolean announced = false;
            while (System.nanoTime() < end) {
                long value = ops;
                try {
                    db.inTransaction(c -> {
                        try (PreparedStatement p = c.prepareStatement("MERGE INTO setting(name, setting_value, updated_at) KEY(name) VALUES (?, ?, ?)")) {
                            p.setString(1, name);
                            p.setString(2, Long.toString(value));
                            p.setLong(3, System.currentTimeMillis());
                            return p.executeUpdate();
                        }
                    });
                    String back = db.read(c -> {
                        try (PreparedStatement p = c.prepareStatement("SELECT setting_value FROM setting WHERE name = ?")) {
                            p.setString(1, name);
                            try (ResultSet rs = p.executeQuery()) {
                                return rs.next() ? rs.getString(1) : null;
                            }
                        }
                    });
                    if (!Long.toString(value).equals(back)) {
                        // a commit that was answered, then lost: the database's owner was killed before writing it out
                        lost++;
                        errs.append("lost: wrote ").append(value).append(", read back ").append(back).append('\n');
                    }
                    ops++;
                    long now = System.nanoTime();
                    if (announced) {
                        if (now - last > longestGap) {
                            longestGap = now - last;
                            longestGapEnd = System.currentTimeMillis();
                        }
                    } else {
                        System.out.println("ready");
                        System.out.flush();
                        announced = true;
                    }
                    last = now;
                } catch (RuntimeException e) {
                    errors++;
                    errs.append(e).append('\n');
                    last = System.nanoTime();
                }
            }
            System.out.println("ops " + ops + " errors " + errors + " lost " + lost + " longest-gap-ms " + longestGap / 1_000_000 + " owner=" + db.servesOthers()
                    + " gap-end " + longestGapEnd);
            System.out.print(errs);
            System.out.flush();
        }
    }
}
