package org.mstore.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** Files an administrator would feed the command line, and where a mailbox lives on disk. */
final class Mail {
    private Mail() {
    }

    /** An RFC 5322 message text. */
    static String message(String from, String subject, String body) {
        return "From: " + from + "\r\nTo: alice@example.com\r\nSubject: " + subject + "\r\nMessage-ID: <"
                + Integer.toHexString((subject + body).hashCode()) + "@example.com>\r\n\r\n" + body + "\r\n";
    }

    /** Writes {@code n} one-message files {@code dir/msg-<i>.eml}, i = 1..n, and returns their paths in order. */
    static List<String> messageFiles(Path dir, int n) throws IOException {
        Files.createDirectories(dir);
        List<String> out = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            Path p = dir.resolve(String.format("msg-%03d.eml", i));
            Files.writeString(p, message("sender" + i + "@example.com", "Message " + i, "Body of message " + i + "."));
            out.add(p.toString());
        }
        return out;
    }

    static Path write(Path file, String text) throws IOException {
        Files.createDirectories(file.getParent());
        return Files.writeString(file, text, StandardCharsets.UTF_8);
    }

    /** The directory of {@code user/<user>} (the INBOX) in the primary partition: found on disk, not computed. */
    static Path inboxDir(Path store, String user) throws IOException {
        Path base = store.resolve("partition").resolve("primary").resolve("=user");
        try (Stream<Path> s = Files.find(base, 3, (p, a) -> a.isDirectory() && p.getFileName().toString().equals("=" + user))) {
            return s.findFirst().orElseThrow(() -> new AssertionError("no mailbox directory for user/" + user + " under " + base));
        }
    }

    /** The message files ({@code <nn>/<uid>.msg}) of a mailbox directory, as UIDs, sorted. */
    static List<Integer> messageFileUids(Path mailboxDir) throws IOException {
        try (Stream<Path> s = Files.find(mailboxDir, 2, (p, a) -> a.isRegularFile() && p.getFileName().toString().endsWith(".msg")
                && !p.getParent().equals(mailboxDir))) {
            return s.map(p -> Integer.parseInt(p.getFileName().toString().replace(".msg", ""))).sorted().toList();
        }
    }

    /** The lines of the store's default log. */
    static List<String> log(Path store) throws IOException {
        Path f = store.resolve("log").resolve("default");
        return Files.exists(f) ? Files.readAllLines(f) : List.of();
    }
}
