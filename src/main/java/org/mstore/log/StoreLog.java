package org.mstore.log;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

import org.mstore.api.LogLevel;
import org.mstore.fs.OwnerOnly;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * The store's default log (SPEC §7): one line per event in the messaging server's format,
 *
 * <pre>[dd/Mon/yyyy:HH:mm:ss ±zzzz] host process[pid]: Category Level: message</pre>
 *
 * written through SLF4J to {@code <store>/log/default}. The line is formatted here (with the engine's
 * clock); the logging back-end only routes it to the file named in the MDC key {@link #FILE_KEY}
 * (see {@code logback.xml}).
 */
public final class StoreLog {
    public static final String LOGGER = "mstore.default";
    public static final String FILE_KEY = "mstore.logfile";
    public static final String DIR = "log";
    public static final String FILE = "default";
    static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("dd/MMM/yyyy:HH:mm:ss Z", Locale.ENGLISH);
    /**
     * The logger, made when the first line is written: the logging back-end (Logback reading its XML configuration,
     * some 760 classes) then starts only in a process that logs, not in every command that opens a store (a quarter of
     * {@code imcheck -q}'s start-up).
     */
    private static final class Out {
        static final Logger LOG = LoggerFactory.getLogger(LOGGER);
    }
    private static final String HOST = hostName();
    private static final long PID = ProcessHandle.current().pid();

    private final Path file;
    private final Clock clock;

    public StoreLog(Path storeRoot, Clock clock) {
        this.file = storeRoot.resolve(DIR).resolve(FILE).toAbsolutePath();
        this.clock = clock;
    }

    public Path file() {
        return file;
    }

    /** Writes one line; {@code process} is the program name shown (impurge, imapd, reconstruct...). */
    public void log(String process, String category, LogLevel level, String message) {
        String line = format(ZonedDateTime.now(clock), HOST, process, PID, category, level, message);
        try {
            createOwnerOnly(file);
        } catch (java.io.IOException e) {
            return; // a log we cannot write must not stop the store
        }
        try (MDC.MDCCloseable ignored = MDC.putCloseable(FILE_KEY, file.toString())) {
            switch (level) {
                case CRITICAL, ERROR -> Out.LOG.error(line);
                case WARNING -> Out.LOG.warn(line);
                case NOTICE, INFORMATION -> Out.LOG.info(line);
                default -> Out.LOG.debug(line);
            }
        }
    }

    /**
     * Creates the log file owner-only if it is missing, so that the logging back-end, which would create it with the
     * process's umask, only ever appends to it. Checked before every line: a log file that was removed or rotated away
     * comes back owner-only too.
     */
    static void createOwnerOnly(Path file) throws java.io.IOException {
        if (Files.exists(file)) {
            return;
        }
        OwnerOnly.createDirectories(file.getParent());
        try {
            OwnerOnly.createFile(file);
        } catch (java.nio.file.FileAlreadyExistsException e) {
            // another process made it first, owner-only as well
        }
    }

    /** A line in the default log's format. */
    public static String format(ZonedDateTime time, String host, String process, long pid, String category, LogLevel level,
                                String message) {
        return "[" + TIME.format(time) + "] " + host + " " + process + "[" + pid + "]: " + category + " " + level.word() + ": "
                + message.replace('\n', ' ');
    }

    private static String hostName() {
        String h = System.getenv("HOSTNAME");
        if (h == null || h.isBlank()) {
            try {
                h = Files.readString(Path.of("/etc/hostname")).strip();
            } catch (java.io.IOException | RuntimeException e) {
                h = null;
            }
        }
        if (h == null || h.isBlank()) {
            h = "localhost";
        }
        int dot = h.indexOf('.');
        return dot > 0 ? h.substring(0, dot) : h;
    }
}
