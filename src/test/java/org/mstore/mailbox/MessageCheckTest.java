package org.mstore.mailbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mstore.api.NewMessage;
import org.mstore.api.Setting;
import org.mstore.testing.TestStore;

/** What the store accepts as a message, checked before anything is written. */
class MessageCheckTest {
    static final String BOX = "user/alice";
    @TempDir
    Path dir;
    TestStore s;

    @BeforeEach
    void setUp() throws Exception {
        s = TestStore.create(dir);
        s.mailbox(BOX);
    }

    @AfterEach
    void tearDown() {
        s.close();
    }

    private static byte[] bytes(String m) {
        return m.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void random_binary_data_is_not_accepted_as_a_message() {
        byte[] noise = new byte[100 * 1024];
        new Random(1).nextBytes(noise);
        assertThatThrownBy(() -> s.engine.mailboxes().append(BOX, List.of(new NewMessage(noise, 0, 0))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("the message is not a message");
        assertThat(s.info(BOX).messageCount()).isZero();
    }

    @Test
    void a_message_over_store_message_maxsize_is_refused_and_none_of_its_batch_is_appended() {
        s.engine.settings().set(Setting.MESSAGE_MAX_SIZE, "1K");
        byte[] small = TestStore.message("small", "hi\r\n");
        byte[] big = bytes("Subject: big\r\n\r\n" + "x".repeat(2000));
        assertThatThrownBy(() -> s.engine.mailboxes().append(BOX, List.of(new NewMessage(small, 0, 0), new NewMessage(big, 0, 0))))
                .hasMessage("message 2 of 2 is " + big.length + " bytes, over store.message.maxsize (1K)");
        assertThat(s.info(BOX).messageCount()).isZero();
    }

    @Test
    void text_without_a_header_field_first_is_not_a_message() {
        assertThat(MessageCheck.problem(bytes("Hello there\r\n\r\nbody"), 1 << 20)).contains("line 1 of its header is not a header field");
        assertThat(MessageCheck.problem(bytes("\r\nbody"), 1 << 20)).contains("starts with an empty line");
        assertThat(MessageCheck.problem(bytes(" folded: x\r\n\r\n"), 1 << 20)).contains("folded line");
        assertThat(MessageCheck.problem(bytes("Subject: a\u0000b\r\n\r\n"), 1 << 20)).contains("NUL byte");
    }

    @Test
    void header_fields_with_folded_lines_and_a_body_are_a_message() {
        assertThat(MessageCheck.problem(bytes("Subject: a\r\n b\r\nFrom: x@y\r\n\r\n\u0000binary body is fine"), 1 << 20)).isNull();
        assertThat(MessageCheck.problem(bytes("Subject: header only"), 1 << 20)).isNull();
        assertThat(MessageCheck.problem(bytes("Subject: lf only\n\nbody\n"), 1 << 20)).isNull();
    }

    @Test
    void an_empty_message_is_refused() {
        assertThat(MessageCheck.problem(new byte[0], 1 << 20)).isEqualTo("is empty");
    }
}
