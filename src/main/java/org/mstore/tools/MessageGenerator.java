package org.mstore.tools;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import java.util.Locale;
import java.util.SplittableRandom;

import org.mstore.api.Flags;

/**
 * Deterministic, realistic RFC 5322 messages: varied senders, subjects, threads, sizes (a long-tailed
 * distribution with occasional attachments), and flags. The same seed gives the same messages.
 */
public final class MessageGenerator {
    private static final String[] FIRST = {"Alice", "Bob", "Carol", "Dave", "Erin", "Frank", "Grace", "Heidi", "Ivan", "Judy",
            "Mallory", "Niaj", "Olivia", "Peggy", "Rupert", "Sybil", "Trent", "Uma", "Victor", "Wendy"};
    private static final String[] LAST = {"Smith", "Jones", "Garcia", "Müller", "Rossi", "Dubois", "Tanaka", "Kowalski", "Silva",
            "Nguyen", "Okafor", "Larsen"};
    private static final String[] DOMAINS = {"example.com", "example.org", "example.net", "mail.example.com", "corp.example"};
    private static final String[] SUBJECT_START = {"Re: ", "", "", "Fwd: ", "", "[team] ", "", "Re: Re: "};
    private static final String[] TOPICS = {"quarterly report", "lunch on Friday", "server maintenance window", "invoice 4711",
            "project kickoff", "holiday schedule", "build failure on main", "contract draft", "travel plans", "budget review",
            "new hire onboarding", "meeting notes", "password reset", "customer feedback", "release candidate", "office move"};
    private static final String[] WORDS = ("the of and to in is that for it as was with be by on not he this are or his from at "
            + "which but have an they you were her she there been one all we their has would when if so no what up out more "
            + "about into than them can only other new some could time these two may then do first any my now such like our "
            + "over man me even most made after also did many before must through back years where much your way well down "
            + "should because each just those people how too little state good very make world still own see men work long get "
            + "here between both life being under never day same another know while last might us great old year off come since "
            + "against go came right used take three queue mailbox purge cache index repair cleanup store server message").split(" ");
    private static final DateTimeFormatter RFC = DateTimeFormatter.ofPattern("EEE, d MMM yyyy HH:mm:ss Z", Locale.ENGLISH);
    /** Messages are dated in the two years before this instant, so the same seed gives the same dates. */
    public static final Instant BASE = Instant.parse("2026-11-01T00:00:00Z");

    private final SplittableRandom random;
    private final String seedTag;
    private long counter;

    public MessageGenerator(long seed) {
        this.random = new SplittableRandom(seed);
        this.seedTag = Long.toHexString(seed);
    }

    /** One generated message: its bytes, arrival time and flags. */
    public record Generated(byte[] bytes, long internalDate, int flags) {
    }

    public Generated next(String recipientUser) {
        counter++;
        long age = (long) (random.nextDouble() * random.nextDouble() * 730L * 86_400_000L);
        long date = BASE.toEpochMilli() - age;
        String from = person();
        String to = recipientUser + "@" + DOMAINS[0];
        String topic = TOPICS[random.nextInt(TOPICS.length)];
        String subject = SUBJECT_START[random.nextInt(SUBJECT_START.length)] + capitalize(topic)
                + (random.nextInt(4) == 0 ? " (" + (1 + random.nextInt(30)) + ")" : "");
        String msgId = "<" + seedTag + "." + counter + "." + Long.toHexString(date) + "@" + DOMAINS[random.nextInt(DOMAINS.length)] + ">";
        StringBuilder h = new StringBuilder(1024);
        ZonedDateTime zd = Instant.ofEpochMilli(date).atZone(ZoneOffset.ofHours(random.nextInt(5) - 2));
        h.append("Return-Path: <").append(address(from)).append(">\r\n");
        h.append("Received: from mx").append(1 + random.nextInt(4)).append(".").append(DOMAINS[0]).append(" by store.").append(DOMAINS[0])
                .append(" with ESMTP id ").append(Long.toHexString(random.nextLong())).append("; ").append(RFC.format(zd)).append("\r\n");
        h.append("Date: ").append(RFC.format(zd)).append("\r\n");
        h.append("From: ").append(from).append("\r\n");
        h.append("To: ").append(to).append("\r\n");
        if (random.nextInt(4) == 0) {
            h.append("Cc: ").append(person()).append(", ").append(person()).append("\r\n");
        }
        h.append("Subject: ").append(subject).append("\r\n");
        h.append("Message-ID: ").append(msgId).append("\r\n");
        if (subject.startsWith("Re:")) {
            h.append("In-Reply-To: <").append(seedTag).append(".").append(Math.max(1, counter - 1 - random.nextInt(50)))
                    .append("@").append(DOMAINS[0]).append(">\r\n");
        }
        h.append("MIME-Version: 1.0\r\n");
        // Body size: long-tailed around a kilobyte; a few messages carry an attachment.
        int bodyLen = (int) Math.min(60_000, Math.exp(6.3 + random.nextGaussian() * 0.9));
        boolean attachment = random.nextInt(33) == 0;
        String body = text(bodyLen);
        if (attachment) {
            String boundary = "=_b" + Long.toHexString(random.nextLong());
            h.append("Content-Type: multipart/mixed; boundary=\"").append(boundary).append("\"\r\n\r\n");
            h.append("--").append(boundary).append("\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n").append(body).append("\r\n");
            byte[] blob = new byte[2_000 + random.nextInt(34_000)];
            random.nextBytes(blob);
            h.append("--").append(boundary).append("\r\nContent-Type: application/octet-stream; name=\"report-").append(counter)
                    .append(".bin\"\r\nContent-Transfer-Encoding: base64\r\n\r\n")
                    .append(Base64.getMimeEncoder().encodeToString(blob)).append("\r\n--").append(boundary).append("--\r\n");
        } else {
            h.append("Content-Type: text/plain; charset=utf-8\r\n\r\n").append(body);
        }
        int flags = 0;
        if (random.nextInt(10) < 7) {
            flags |= Flags.SEEN;
        }
        if (random.nextInt(10) == 0) {
            flags |= Flags.ANSWERED;
        }
        if (random.nextInt(20) == 0) {
            flags |= Flags.FLAGGED;
        }
        return new Generated(h.toString().getBytes(StandardCharsets.UTF_8), date, flags);
    }

    private String person() {
        String f = FIRST[random.nextInt(FIRST.length)];
        String l = LAST[random.nextInt(LAST.length)];
        return "\"" + f + " " + l + "\" <" + f.toLowerCase(Locale.ROOT) + "." + ascii(l).toLowerCase(Locale.ROOT) + "@"
                + DOMAINS[random.nextInt(DOMAINS.length)] + ">";
    }

    private static String address(String person) {
        return person.substring(person.indexOf('<') + 1, person.indexOf('>'));
    }

    private static String ascii(String s) {
        return s.replace("ü", "ue");
    }

    private String text(int approxLength) {
        StringBuilder sb = new StringBuilder(approxLength + 80);
        int line = 0;
        boolean sentenceStart = true;
        while (sb.length() < approxLength) {
            String w = WORDS[random.nextInt(WORDS.length)];
            if (sentenceStart) {
                w = capitalize(w);
                sentenceStart = false;
            }
            sb.append(w);
            line += w.length() + 1;
            if (random.nextInt(12) == 0) {
                sb.append('.');
                sentenceStart = true;
            }
            if (line > 68) {
                sb.append("\r\n");
                line = 0;
                if (random.nextInt(8) == 0) {
                    sb.append("\r\n");
                }
            } else {
                sb.append(' ');
            }
        }
        return sb.append("\r\n").toString();
    }

    private static String capitalize(String s) {
        return s.isEmpty() ? s : Character.toUpperCase(s.charAt(0)) + s.substring(1);
    }
}
