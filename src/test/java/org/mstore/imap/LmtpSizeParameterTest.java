package org.mstore.imap;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * MAIL FROM's SIZE= (RFC 1870): a size over the limit, however many digits it has, is refused as too big (552, the MTA
 * bounces it); a value that is no number is a syntax error (501). Neither is a temporary failure (451), which would
 * have the MTA retry for days.
 */
class LmtpSizeParameterTest {
    @TempDir
    Path dir;

    @ParameterizedTest(name = "SIZE={0}: {1}")
    @CsvSource({"99999999999999999999, 552 5.3.4", "9999999999999999999, 552 5.3.4", "999999999999, 552 5.3.4",
        "-1, 501 5.5.4", "12ab, 501 5.5.4", "'', 501 5.5.4", "1000, 250 2.1.0", "000000000000000000001000, 250 2.1.0"})
    void mail_from_size_is_checked_as_a_number_of_bytes(String size, String reply) throws Exception {
        try (ImapFixture f = ImapFixture.start(dir); RawLmtp c = RawLmtp.open(f)) {
            c.send("MAIL FROM:<a@example.com> SIZE=" + size + "\r\n");

            assertThat(c.readLine()).startsWith(reply);
        }
    }
}
