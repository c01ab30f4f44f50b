package org.mstore.console.export;

import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The CSV of the console's exports, as RFC 4180 writes it. */
class CsvTest {
    @TempDir
    Path tmp;

    @Test
    void a_plain_field_is_written_as_is() {
        assertThat(Csv.field("user/alice")).isEqualTo("user/alice");
    }

    @Test
    void a_field_with_a_comma_a_quote_or_a_line_break_is_quoted_and_its_quotes_doubled() {
        assertThat(Csv.field("a,b")).isEqualTo("\"a,b\"");
        assertThat(Csv.field("say \"hi\"")).isEqualTo("\"say \"\"hi\"\"\"");
        assertThat(Csv.field("line1\nline2")).isEqualTo("\"line1\nline2\"");
        assertThat(Csv.field("cr\r")).isEqualTo("\"cr\r\"");
    }

    @Test
    void leading_or_trailing_spaces_are_kept_by_quoting() {
        assertThat(Csv.field(" padded ")).isEqualTo("\" padded \"");
    }

    @Test
    void rows_end_with_crlf_and_null_is_an_empty_field_and_times_are_iso_utc() throws Exception {
        StringWriter w = new StringWriter();
        new Csv(w).row("x", null, 3, Instant.parse("2026-01-02T03:04:05Z"));
        assertThat(w.toString()).isEqualTo("x,,3,2026-01-02T03:04:05Z\r\n");
    }

    @Test
    void a_failed_export_leaves_no_file_behind() {
        Path f = tmp.resolve("out.csv");
        assertThatThrownBy(() -> Csv.toFile(f, csv -> {
            csv.row("header");
            throw new java.io.IOException("disk full");
        })).hasMessageContaining("disk full");
        assertThat(f).doesNotExist();
        assertThat(tmp.resolve("out.csv.part")).doesNotExist();
    }

    @Test
    void to_file_counts_the_data_rows_without_the_header() throws Exception {
        Path f = tmp.resolve("out.csv");
        long n = Csv.toFile(f, csv -> csv.row("h").row("1").row("2"));
        assertThat(n).isEqualTo(2);
        assertThat(Files.readString(f)).isEqualTo("h\r\n1\r\n2\r\n");
    }
}
