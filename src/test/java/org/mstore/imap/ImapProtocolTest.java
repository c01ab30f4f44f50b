package org.mstore.imap;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mstore.api.SessionInfo;

/** RFC 3501 commands and the announced extensions, as the wire shows them. */
class ImapProtocolTest {
    @TempDir
    Path dir;

    static final String MULTIPART = "From: \"Ann Example\" <ann@example.com>\r\nTo: alice@example.com, \"Grp\": x@y.org;\r\n"
            + "Subject: =?UTF-8?Q?caf=C3=A9?=\r\nDate: Tue, 2 Jan 2024 10:00:00 +0100\r\nMessage-ID: <mp1@example.com>\r\n"
            + "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\npreamble\r\n--b1\r\n"
            + "Content-Type: text/plain; charset=utf-8\r\n\r\nfirst part\r\nline two\r\n--b1\r\n"
            + "Content-Type: message/rfc822\r\n\r\nFrom: inner@example.com\r\nSubject: inner\r\n\r\ninner body\r\n--b1--\r\n";

    private static String appendLiteral(RawImap c, String mailbox, String message) throws Exception {
        byte[] b = message.getBytes(StandardCharsets.UTF_8);
        String tag = c.nextTag();
        c.send(tag + " APPEND " + mailbox + " (\\Flagged $Keyword) \"02-Jan-2024 10:00:00 +0100\" {" + b.length + "+}");
        c.sendRaw(b);
        c.sendRaw("\r\n".getBytes(StandardCharsets.US_ASCII));
        return RawImap.last(c.until(tag));
    }

    @Test
    void fetch_envelope_bodystructure_and_sections_of_a_multipart_message() throws Exception {
        try (ImapFixture f = ImapFixture.start(dir); RawImap c = f.login()) {
            assertThat(appendLiteral(c, "INBOX", MULTIPART)).matches("t\\d+ OK \\[APPENDUID \\d+ 1\\] APPEND completed");
            c.ok("SELECT INBOX");
            String env = String.join("\n", c.ok("FETCH 1 (FLAGS INTERNALDATE ENVELOPE)"));
            assertThat(env).contains("FLAGS (\\Flagged)").contains("INTERNALDATE \"02-Jan-2024")
                    .contains("\"=?UTF-8?Q?caf=C3=A9?=\"").contains("((\"Ann Example\" NIL \"ann\" \"example.com\"))")
                    .contains("((NIL NIL \"alice\" \"example.com\")(NIL NIL \"Grp\" NIL)(NIL NIL \"x\" \"y.org\")(NIL NIL NIL NIL))").contains("\"<mp1@example.com>\"");
            String bs = String.join("\n", c.ok("FETCH 1 BODYSTRUCTURE"));
            assertThat(bs).contains("(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"utf-8\") NIL NIL \"7BIT\" 20 2")
                    .contains("\"MESSAGE\" \"RFC822\"").contains("\"MIXED\" (\"BOUNDARY\" \"b1\")");
            assertThat(String.join("\n", c.ok("FETCH 1 BODY.PEEK[1]"))).contains("BODY[1] {20}\r\nfirst part\r\nline two)");
            assertThat(String.join("\n", c.ok("FETCH 1 BODY.PEEK[2.HEADER]"))).contains("Subject: inner");
            assertThat(String.join("\n", c.ok("FETCH 1 BODY.PEEK[2.TEXT]"))).contains("inner body");
            assertThat(String.join("\n", c.ok("FETCH 1 BODY.PEEK[1.MIME]"))).contains("Content-Type: text/plain; charset=utf-8");
            assertThat(String.join("\n", c.ok("FETCH 1 BODY.PEEK[HEADER.FIELDS.NOT (TO DATE FROM MESSAGE-ID MIME-VERSION CONTENT-TYPE)]")))
                    .contains("Subject: =?UTF-8?Q?caf=C3=A9?=\r\n\r\n").doesNotContain("From:");
            assertThat(String.join("\n", c.ok("FETCH 1 BODY.PEEK[]<0.4>"))).contains("BODY[]<0> {4}\r\nFrom");
            assertThat(String.join("\n", c.ok("FETCH 1 FLAGS"))).doesNotContain("\\Seen");
            assertThat(String.join("\n", c.ok("FETCH 1 BODY[TEXT]"))).contains("FLAGS (\\Seen \\Flagged)");
            assertThat(String.join("\n", c.ok("FETCH 1 RFC822.SIZE"))).contains("RFC822.SIZE " + MULTIPART.length());
            assertThat(String.join("\n", c.ok("UID FETCH 1:* (FLAGS)"))).contains("* 1 FETCH (UID 1 FLAGS");
            assertThat(String.join("\n", c.ok("FETCH 1 BODY.PEEK[9]"))).contains("BODY[9] {0}");
        }
    }

    /** A nested multipart and an encapsulated message, their transfer encodings as a sender wrote them. */
    static final String NESTED = "From: ann@example.com\r\nTo: alice@example.com\r\nSubject: nested\r\nMIME-Version: 1.0\r\n"
            + "Content-Type: multipart/mixed; boundary=\"outer\"\r\n\r\npreamble\r\n"
            + "--outer\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nhello\r\n"
            + "--outer\r\nContent-Type: multipart/alternative; boundary=\"alt\"\r\n\r\n"
            + "--alt\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
            + "a=3Db caf=E9\r\nsecond line=\r\n continued\r\n"
            + "--alt\r\nContent-Type: text/html; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
            + "<p>a=3Db caf=E9</p>\r\n"
            + "--alt--\r\n"
            + "--outer\r\nContent-Type: message/rfc822\r\nContent-Description: forwarded\r\n\r\n"
            + "From: bob@example.com\r\nSubject: inner\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"in\"\r\n\r\n"
            + "--in\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n"
            + "--in\r\nContent-Type: application/octet-stream; name=\"x.bin\"\r\nContent-Transfer-Encoding: base64\r\n"
            + "Content-Disposition: attachment; filename=\"x.bin\"\r\n\r\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8g\r\nISIjJCUmJygp\r\n"
            + "--in--\r\n"
            + "--outer--\r\nepilogue\r\n";

    /** The literal of {@code BODY[section]} in a FETCH response (the message is ASCII: a char is a byte). */
    private static String literal(RawImap c, String section) throws Exception {
        String r = String.join("\n", c.ok("FETCH 1 BODY.PEEK[" + section + "]"));
        java.util.regex.Matcher m = java.util.regex.Pattern.compile(java.util.regex.Pattern.quote("BODY[" + section + "] {") + "(\\d+)\\}\r\n")
                .matcher(r);
        assertThat(m.find()).as(r).isTrue();
        return r.substring(m.end(), m.end() + Integer.parseInt(m.group(1)));
    }

    /** NESTED from the end of {@code from} (or its start) to the start of {@code to}, cut by hand. */
    private static String slice(String from, boolean afterFrom, String to) {
        int a = NESTED.indexOf(from);
        assertThat(a).as(from).isNotNegative();
        if (afterFrom) {
            a += from.length();
        }
        int b = NESTED.indexOf(to, a);
        assertThat(b).as(to).isGreaterThan(a);
        return NESTED.substring(a, b);
    }

    @Test
    void a_nested_multipart_or_message_part_is_served_as_its_stored_bytes() throws Exception {
        try (ImapFixture f = ImapFixture.start(dir); RawImap c = f.login()) {
            assertThat(appendLiteral(c, "INBOX", NESTED)).contains("OK");
            c.ok("SELECT INBOX");
            // each part ends before the CRLF that precedes the next boundary (RFC 2046 5.1.1)
            String part2 = slice("--alt\r\nContent-Type: text/plain", false, "\r\n--outer\r\nContent-Type: message/rfc822");
            String part21 = slice("quoted-printable\r\n\r\n", true, "\r\n--alt\r\nContent-Type: text/html");
            String part22 = slice("<p>", false, "\r\n--alt--");
            String part2Mime = slice("Content-Type: multipart/alternative", false, "--alt\r\nContent-Type: text/plain");
            String part3 = slice("From: bob@example.com", false, "\r\n--outer--");
            String part3Header = slice("From: bob@example.com", false, "--in\r\nContent-Type: text/plain");
            String part3Text = slice("--in\r\nContent-Type: text/plain", false, "\r\n--outer--");
            String part31 = slice("see attached", false, "\r\n--in\r\n");
            String part32 = slice("AAEC", false, "\r\n--in--");
            String part32Mime = slice("Content-Type: application/octet-stream", false, "AAEC");
            String part3Mime = slice("Content-Type: message/rfc822", false, "From: bob@example.com");
            assertThat(part2).startsWith("--alt\r\n").endsWith("--alt--").contains("a=3Db caf=E9");
            assertThat(part3).startsWith("From: bob@").endsWith("--in--").contains("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8g\r\nISIjJCUmJygp");

            assertThat(literal(c, "2")).isEqualTo(part2);
            assertThat(literal(c, "2.1")).isEqualTo(part21).isEqualTo("a=3Db caf=E9\r\nsecond line=\r\n continued");
            assertThat(literal(c, "2.2")).isEqualTo(part22);
            assertThat(literal(c, "2.MIME")).isEqualTo(part2Mime);
            assertThat(literal(c, "3")).isEqualTo(part3);
            assertThat(literal(c, "3.HEADER")).isEqualTo(part3Header);
            assertThat(literal(c, "3.TEXT")).isEqualTo(part3Text);
            assertThat(literal(c, "3.MIME")).isEqualTo(part3Mime);
            assertThat(literal(c, "3.1")).isEqualTo(part31).isEqualTo("see attached");
            assertThat(literal(c, "3.2")).isEqualTo(part32);
            assertThat(literal(c, "3.2.MIME")).isEqualTo(part32Mime);
            assertThat(literal(c, "HEADER") + literal(c, "TEXT")).isEqualTo(literal(c, "")).isEqualTo(NESTED);

            // BODYSTRUCTURE describes those bytes: part 2 is a multipart (no size of its own): its parts' sizes;
            // part 3 (message/rfc822) its size and lines, and its parts'
            String bs = String.join("\n", c.ok("FETCH 1 BODYSTRUCTURE"));
            java.util.regex.Matcher plain = java.util.regex.Pattern
                    .compile("\"TEXT\" \"PLAIN\" \\(\"CHARSET\" \"iso-8859-1\"\\) NIL NIL \"QUOTED-PRINTABLE\" (\\d+) (\\d+)").matcher(bs);
            assertThat(plain.find()).as(bs).isTrue();
            assertThat(Integer.parseInt(plain.group(1))).isEqualTo(part21.length());
            assertThat(Integer.parseInt(plain.group(2))).isEqualTo(3);
            java.util.regex.Matcher html = java.util.regex.Pattern
                    .compile("\"TEXT\" \"HTML\" \\(\"CHARSET\" \"iso-8859-1\"\\) NIL NIL \"QUOTED-PRINTABLE\" (\\d+) (\\d+)").matcher(bs);
            assertThat(html.find()).as(bs).isTrue();
            assertThat(Integer.parseInt(html.group(1))).isEqualTo(part22.length());
            java.util.regex.Matcher msg = java.util.regex.Pattern
                    .compile("\"MESSAGE\" \"RFC822\" NIL NIL \"forwarded\" \"7BIT\" (\\d+) ").matcher(bs);
            assertThat(msg.find()).as(bs).isTrue();
            assertThat(Integer.parseInt(msg.group(1))).isEqualTo(part3.length());
            int lines3 = part3.split("\r\n", -1).length;
            assertThat(bs).contains("\"MIXED\" (\"BOUNDARY\" \"in\") NIL NIL NIL) " + lines3 + " NIL NIL NIL NIL)");
            java.util.regex.Matcher bin = java.util.regex.Pattern.compile("\"APPLICATION\" \"OCTET-STREAM\" \\(\"NAME\" \"x.bin\"\\) NIL NIL \"BASE64\" (\\d+) ")
                    .matcher(bs);
            assertThat(bin.find()).as(bs).isTrue();
            assertThat(Integer.parseInt(bin.group(1))).isEqualTo(part32.length());
        }
    }

    @Test
    void search_keys() throws Exception {
        try (ImapFixture f = ImapFixture.start(dir); RawImap c = f.login()) {
            appendLiteral(c, "INBOX", MULTIPART);
            appendLiteral(c, "INBOX", "From: zed@example.org\r\nSubject: plain\r\nDate: Wed, 3 Jan 2024 10:00:00 +0000\r\n\r\nnothing here\r\n");
            c.ok("SELECT INBOX");
            c.ok("STORE 2 +FLAGS.SILENT (\\Seen)");
            assertThat(c.ok("SEARCH SUBJECT café")).contains("* SEARCH 1");
            assertThat(c.ok("SEARCH CHARSET UTF-8 SUBJECT CAFÉ")).contains("* SEARCH 1");
            assertThat(c.ok("SEARCH FROM zed")).contains("* SEARCH 2");
            assertThat(c.ok("SEARCH BODY \"line two\"")).contains("* SEARCH 1");
            assertThat(c.ok("SEARCH TEXT inner")).contains("* SEARCH 1");
            assertThat(c.ok("SEARCH UNSEEN")).contains("* SEARCH 1");
            assertThat(c.ok("SEARCH OR SEEN FLAGGED")).contains("* SEARCH 1 2");
            assertThat(c.ok("SEARCH NOT SEEN")).contains("* SEARCH 1");
            assertThat(c.ok("SEARCH LARGER 200")).contains("* SEARCH 1");
            assertThat(c.ok("SEARCH SENTBEFORE 3-Jan-2024")).contains("* SEARCH 1");
            assertThat(c.ok("SEARCH SENTSINCE 3-Jan-2024")).contains("* SEARCH 2");
            assertThat(c.ok("SEARCH HEADER Message-ID mp1")).contains("* SEARCH 1");
            assertThat(c.ok("SEARCH 2:* ALL")).contains("* SEARCH 2");
            assertThat(c.ok("UID SEARCH UID 2")).contains("* SEARCH 2");
            assertThat(c.ok("SEARCH (FLAGGED UNSEEN) KEYWORD $Keyword")).contains("* SEARCH");
            assertThat(c.ok("SEARCH ON 2-Jan-2024")).contains("* SEARCH 1 2");
        }
    }

    @Test
    void a_name_in_modified_utf7_has_one_spelling_so_no_hidden_separator_makes_a_hierarchy() throws Exception {
        try (ImapFixture f = ImapFixture.start(dir); RawImap c = f.login()) {
            // "&AC8-" is "/" in BASE64: RFC 3501 5.1.3 forbids a printable character so written
            assertThat(RawImap.last(c.command("CREATE \"a&AC8-b\""))).contains("NO [CANNOT]").contains("'a/b'");
            assertThat(RawImap.last(c.command("CREATE \"&AOk-&AOk-\""))).contains("NO [CANNOT]").contains("'&AOkA6Q-'");
            assertThat(RawImap.last(c.command("CREATE \"&AGE-\""))).contains("NO [CANNOT]");
            assertThat(f.engine.mailboxes().exists("user/alice/a")).isFalse();
            assertThat(f.engine.mailboxes().exists("user/alice/a/b")).isFalse();
            c.ok("CREATE \"&AOkA6Q-\"");
            assertThat(f.engine.mailboxes().exists("user/alice/éé")).isTrue();
        }
    }

    @Test
    void mailboxes_list_rename_copy_move_status_subscriptions() throws Exception {
        try (ImapFixture f = ImapFixture.start(dir); RawImap c = f.login()) {
            c.ok("CREATE Work/Projects/2024");
            c.ok("CREATE \"Caf&AOk-\"");
            assertThat(RawImap.last(c.command("CREATE INBOX"))).contains("NO [ALREADYEXISTS]");
            assertThat(c.ok("LIST \"\" %")).contains("* LIST (\\HasNoChildren) \"/\" \"INBOX\"", "* LIST (\\HasChildren) \"/\" \"Work\"",
                    "* LIST (\\HasNoChildren) \"/\" \"Caf&AOk-\"");
            assertThat(c.ok("LIST Work/ *")).contains("* LIST (\\HasChildren) \"/\" \"Work/Projects\"",
                    "* LIST (\\HasNoChildren) \"/\" \"Work/Projects/2024\"");
            assertThat(f.engine.mailboxes().exists("user/alice/Café")).isTrue();
            assertThat(c.ok("NAMESPACE")).contains("* NAMESPACE ((\"\" \"/\")) NIL NIL");
            assertThat(RawImap.last(c.command("DELETE Work"))).contains("NO [CANNOT]");

            for (int i = 0; i < 3; i++) {
                appendLiteral(c, "INBOX", "Subject: m" + i + "\r\n\r\nbody\r\n");
            }
            c.ok("SELECT INBOX");
            assertThat(RawImap.last(c.ok("UID COPY 1:2 Work"))).contains("[COPYUID ").contains(" 1:2 1:2]");
            assertThat(RawImap.last(c.command("COPY 1 Nowhere"))).contains("NO [TRYCREATE]");
            List<String> moved = c.ok("MOVE 3 Work");
            assertThat(moved).contains("* 3 EXPUNGE");
            assertThat(String.join("\n", moved)).contains("[COPYUID ");
            assertThat(c.ok("STATUS Work (MESSAGES UIDNEXT UNSEEN)")).contains("* STATUS \"Work\" (MESSAGES 3 UIDNEXT 4 UNSEEN 3)");
            c.ok("RENAME Work Job");
            assertThat(c.ok("LIST \"\" *")).contains("* LIST (\\HasNoChildren) \"/\" \"Job/Projects/2024\"");
            assertThat(f.engine.mailboxes().get("user/alice/Job").messageCount()).isEqualTo(3);
            c.ok("RENAME INBOX Old");
            assertThat(f.engine.mailboxes().get("user/alice/Old").messageCount()).isEqualTo(2);
            assertThat(f.engine.mailboxes().get("user/alice").messageCount()).isZero();

            c.ok("SUBSCRIBE Job");
            c.ok("SUBSCRIBE Gone");
            assertThat(c.ok("LSUB \"\" *")).contains("* LSUB () \"/\" \"Job\"", "* LSUB () \"/\" \"Gone\"");
            c.ok("UNSUBSCRIBE Gone");
            assertThat(c.ok("LSUB \"\" *")).noneMatch(l -> l.contains("Gone"));
        }
    }

    @Test
    void examine_is_read_only_close_expunges_uid_expunge_only_the_set() throws Exception {
        try (ImapFixture f = ImapFixture.start(dir); RawImap c = f.login()) {
            for (int i = 0; i < 4; i++) {
                appendLiteral(c, "INBOX", "Subject: m" + i + "\r\n\r\nbody\r\n");
            }
            assertThat(RawImap.last(c.ok("EXAMINE INBOX"))).contains("[READ-ONLY]");
            assertThat(RawImap.last(c.command("STORE 1 +FLAGS (\\Deleted)"))).contains("NO [READ-ONLY]");
            c.ok("FETCH 1 BODY[]");
            assertThat(f.engine.mailboxes().snapshot("user/alice").records().get(0).seen()).isFalse();
            assertThat(RawImap.last(c.ok("SELECT INBOX"))).contains("[READ-WRITE]");
            c.ok("STORE 1:3 +FLAGS (\\Deleted)");
            assertThat(c.ok("UID EXPUNGE 2")).containsSubsequence("* 2 EXPUNGE");
            c.ok("CLOSE");
            assertThat(f.engine.mailboxes().get("user/alice").messageCount()).isEqualTo(1);
            assertThat(f.engine.mailboxes().get("user/alice").expunged()).isEqualTo(3);
            assertThat(RawImap.last(c.command("FETCH 1 FLAGS"))).contains("BAD Select a mailbox first");
        }
    }

    @Test
    void authenticate_plain_with_and_without_initial_response_and_users_are_isolated() throws Exception {
        try (ImapFixture f = ImapFixture.start(dir)) {
            f.engine.users().add("bob", "bob's password".toCharArray());
            f.engine.mailboxes().create("user/bob/Secret");
            String resp = Base64.getEncoder().encodeToString(("\0alice\0" + ImapFixture.PASSWORD).getBytes(StandardCharsets.UTF_8));
            try (RawImap c = f.connect()) {
                c.readLine();
                c.ok("AUTHENTICATE PLAIN " + resp);
                assertThat(c.ok("LIST \"\" *")).noneMatch(l -> l.contains("Secret"));
                assertThat(RawImap.last(c.command("SELECT ../bob/Secret"))).contains("NO");
                assertThat(RawImap.last(c.command("SELECT user/bob/Secret"))).contains("NO");
                assertThat(c.ok("ID (\"name\" \"test\")")).contains("* ID (\"name\" \"mstore\")");
                assertThat(c.ok("ENABLE CONDSTORE")).contains("* ENABLED");
            }
            try (RawImap c = f.connect()) {
                c.readLine();
                c.send("a AUTHENTICATE PLAIN");
                assertThat(c.readLine()).startsWith("+");
                c.send(Base64.getEncoder().encodeToString("\0bob\0bob's password".getBytes(StandardCharsets.UTF_8)));
                assertThat(c.readLine()).startsWith("a OK");
                assertThat(c.ok("LIST \"\" *")).anyMatch(l -> l.contains("Secret"));
            }
        }
    }

    @Test
    void the_sessions_are_listed_with_user_mailbox_and_idle() throws Exception {
        try (ImapFixture f = ImapFixture.start(dir); RawImap c = f.login()) {
            c.ok("SELECT INBOX");
            c.send("i IDLE");
            assertThat(c.readLine()).startsWith("+");
            org.mstore.testing.Await.until(java.time.Duration.ofSeconds(10), "the session to be published", () -> {
                List<SessionInfo> all = f.engine.sessions().list();
                return all.size() == 1 && "alice".equals(all.get(0).user()) && "user/alice".equals(all.get(0).mailbox())
                        && all.get(0).idle() && "IDLE".equals(all.get(0).lastCommand()) && all.get(0).process().startsWith("imapd[");
            });
            c.send("DONE");
            c.until("i");
            c.ok("LOGOUT");
            org.mstore.testing.Await.until(java.time.Duration.ofSeconds(10), "the session to be removed",
                    () -> f.engine.sessions().list().isEmpty());
        }
    }
}
