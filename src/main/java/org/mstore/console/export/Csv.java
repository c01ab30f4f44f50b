package org.mstore.console.export;

import java.io.BufferedWriter;
import java.io.Closeable;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;

/**
 * CSV as RFC 4180 writes it: fields separated by commas, rows ended by CRLF, a field quoted when it holds a comma, a
 * quote, a line break or leading/trailing spaces, and a quote inside it doubled. Times are ISO-8601 in UTC, empty when
 * absent. {@link #toFile} writes beside the target and moves it into place, so a failed export leaves no half file.
 */
public final class Csv implements Closeable {
    private final Writer out;
    private long rows;

    public Csv(Writer out) {
        this.out = out;
    }

    /** One field, quoted when it needs to be. */
    public static String field(String s) {
        if (s == null) {
            return "";
        }
        boolean quote = s.isEmpty() ? false : s.charAt(0) == ' ' || s.charAt(s.length() - 1) == ' ';
        for (int i = 0; i < s.length() && !quote; i++) {
            char c = s.charAt(i);
            quote = c == ',' || c == '"' || c == '\r' || c == '\n';
        }
        return quote ? '"' + s.replace("\"", "\"\"") + '"' : s;
    }

    public static String time(Instant t) {
        return t == null ? "" : t.toString();
    }

    /** Writes one row. */
    public Csv row(Object... fields) throws IOException {
        for (int i = 0; i < fields.length; i++) {
            if (i > 0) {
                out.write(',');
            }
            Object f = fields[i];
            out.write(field(f == null ? null : f instanceof Instant t ? time(t) : f.toString()));
        }
        out.write("\r\n");
        rows++;
        return this;
    }

    /** Rows written, the header included. */
    public long rows() {
        return rows;
    }

    @Override
    public void close() throws IOException {
        out.close();
    }

    /** What fills a CSV file. */
    public interface Body {
        void write(Csv csv) throws IOException;
    }

    /** Writes {@code file} (UTF-8) through a temporary file beside it; returns the data rows written (without the header). */
    public static long toFile(Path file, Body body) throws IOException {
        Path abs = file.toAbsolutePath();
        Path part = abs.resolveSibling(abs.getFileName() + ".part");
        long n;
        try (BufferedWriter w = Files.newBufferedWriter(part, StandardCharsets.UTF_8); Csv csv = new Csv(w)) {
            body.write(csv);
            n = Math.max(0, csv.rows() - 1);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(part);
            throw e;
        }
        Files.move(part, abs, StandardCopyOption.REPLACE_EXISTING);
        return n;
    }
}
