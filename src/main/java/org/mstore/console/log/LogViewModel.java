package org.mstore.console.log;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.mstore.api.LogLevel;
import org.mstore.api.LogLine;
import org.mstore.console.TaskExecutor;
import org.mstore.log.StoreLog;

import javafx.beans.property.BooleanProperty;
import javafx.beans.property.ObjectProperty;
import javafx.beans.property.SimpleBooleanProperty;
import javafx.beans.property.SimpleObjectProperty;
import javafx.beans.property.SimpleStringProperty;
import javafx.beans.property.StringProperty;
import javafx.collections.FXCollections;
import javafx.collections.ObservableList;
import javafx.collections.transformation.FilteredList;

/**
 * The default log, live: the file is followed (every process's lines, not only ours), the newest
 * {@link #MAX_LINES} kept, filtered by minimum level and by text.
 */
public final class LogViewModel {
    public static final int MAX_LINES = 20_000;
    private static final int INITIAL_BYTES = 512 * 1024;

    private final Path file;
    private final TaskExecutor executor;
    private final ObservableList<LogLine> lines = FXCollections.observableArrayList();
    private final FilteredList<LogLine> visible = new FilteredList<>(lines, l -> true);
    private final ObjectProperty<LogLevel> minimumLevel = new SimpleObjectProperty<>(null);
    private final StringProperty text = new SimpleStringProperty("");
    private final BooleanProperty follow = new SimpleBooleanProperty(true);
    private long offset = -1;
    /** The first read started in the middle of the file: its first line is probably cut. */
    private boolean tailCut;
    private boolean reading;
    private final StringBuilder partial = new StringBuilder();

    public LogViewModel(Path file, TaskExecutor executor) {
        this.file = file;
        this.executor = executor;
        minimumLevel.addListener((o, a, b) -> refilter());
        text.addListener((o, a, b) -> refilter());
    }

    public ObservableList<LogLine> lines() {
        return lines;
    }

    public FilteredList<LogLine> visible() {
        return visible;
    }

    /** Show this level and the more severe ones; null shows all. */
    public ObjectProperty<LogLevel> minimumLevelProperty() {
        return minimumLevel;
    }

    public StringProperty textProperty() {
        return text;
    }

    /** Keep the newest line in view. */
    public BooleanProperty followProperty() {
        return follow;
    }

    public Path file() {
        return file;
    }

    private void refilter() {
        LogLevel min = minimumLevel.get();
        String t = text.get() == null ? "" : text.get().strip().toLowerCase(Locale.ROOT);
        visible.setPredicate(l -> (min == null || (l.level() != null && l.level().ordinal() <= min.ordinal()))
                && (t.isEmpty() || l.raw().toLowerCase(Locale.ROOT).contains(t)));
    }

    /** Reads what was appended since the last look (the first look reads the file's tail). */
    public void poll() {
        if (reading) {
            return;
        }
        reading = true;
        executor.execute("Reading the log", this::readNew, this::append, e -> reading = false);
    }

    private List<String> readNew() throws IOException {
        if (!Files.exists(file)) {
            return List.of();
        }
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
            long len = f.length();
            if (offset < 0) {
                offset = Math.max(0, len - INITIAL_BYTES);
                tailCut = offset > 0;
            }
            if (len < offset) {
                offset = 0; // the file was replaced or truncated
                partial.setLength(0);
            }
            if (len == offset) {
                return List.of();
            }
            byte[] buf = new byte[(int) Math.min(len - offset, 8 << 20)];
            f.seek(offset);
            f.readFully(buf);
            boolean firstRead = tailCut;
            tailCut = false;
            // decode whole lines only: an unfinished line is read again next time, as its last character may be
            // cut in the middle of its UTF-8 bytes (a line longer than the buffer is taken as it is)
            int end = buf.length;
            while (end > 0 && buf[end - 1] != '\n') {
                end--;
            }
            if (end == 0 && buf.length == 8 << 20) {
                end = buf.length;
            }
            offset += end;
            partial.append(new String(buf, 0, end, StandardCharsets.UTF_8));
            List<String> out = new ArrayList<>();
            int start = 0;
            for (int i = 0; i < partial.length(); i++) {
                if (partial.charAt(i) == '\n') {
                    out.add(partial.substring(start, i));
                    start = i + 1;
                }
            }
            partial.delete(0, start);
            if (firstRead && !out.isEmpty()) {
                out.remove(0); // the first line of a tail read is probably cut
            }
            return out;
        }
    }

    private void append(List<String> raw) {
        reading = false;
        if (raw.isEmpty()) {
            return;
        }
        List<LogLine> parsed = new ArrayList<>(raw.size());
        for (String r : raw) {
            if (!r.isBlank()) {
                parsed.add(LogLine.parse(r));
            }
        }
        lines.addAll(parsed);
        if (lines.size() > MAX_LINES) {
            lines.remove(0, lines.size() - MAX_LINES);
        }
    }

    /**
     * The mailbox a log line is about: the longest of {@code names} that the line's message names as a whole word
     * ({@code "Store Error: user/alice: Mailbox has an invalid format"}), or null.
     */
    public static String mailboxIn(String message, java.util.Collection<String> names) {
        if (message == null) {
            return null;
        }
        String best = null;
        for (String n : names) {
            if (best != null && n.length() <= best.length()) {
                continue;
            }
            int at = message.indexOf(n);
            while (at >= 0) {
                int end = at + n.length();
                boolean startOk = at == 0 || !nameChar(message.charAt(at - 1));
                boolean endOk = end == message.length() || !nameChar(message.charAt(end)) || end + 1 == message.length()
                        && message.charAt(end) == '.';
                if (startOk && endOk) {
                    best = n;
                    break;
                }
                at = message.indexOf(n, at + 1);
            }
        }
        return best;
    }

    private static boolean nameChar(char c) {
        return Character.isLetterOrDigit(c) || c == '/' || c == '_' || c == '-' || c == '.';
    }
}
