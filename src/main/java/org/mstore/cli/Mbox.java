package org.mstore.cli;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits an mbox file into messages: a message starts at a line beginning {@code From } (at the start of
 * the file or after a blank line); that separator line is dropped, and {@code >From } quoting (mboxrd) is
 * undone one level.
 */
final class Mbox {
    private Mbox() {
    }

    /** True when the file starts with an mbox {@code From } line (read without reading the whole file). */
    static boolean startsLikeMbox(java.nio.file.Path p) throws java.io.IOException {
        try (java.io.InputStream in = java.nio.file.Files.newInputStream(p)) {
            return isMbox(in.readNBytes(5));
        }
    }

    static boolean isMbox(byte[] data) {
        return data.length >= 5 && data[0] == 'F' && data[1] == 'r' && data[2] == 'o' && data[3] == 'm' && data[4] == ' ';
    }

    static List<byte[]> split(byte[] data) {
        List<byte[]> out = new ArrayList<>();
        ByteArrayOutputStream cur = null;
        boolean prevBlank = true;
        int i = 0;
        while (i < data.length) {
            int end = i;
            while (end < data.length && data[end] != '\n') {
                end++;
            }
            int lineEnd = Math.min(data.length, end + 1);
            boolean fromLine = startsWith(data, i, "From ");
            if (fromLine && prevBlank) {
                if (cur != null) {
                    out.add(trimTrailingBlank(cur.toByteArray()));
                }
                cur = new ByteArrayOutputStream();
            } else if (cur != null) {
                int start = i;
                int j = i;
                while (j < end && data[j] == '>') {
                    j++;
                }
                if (j > i && startsWith(data, j, "From ")) {
                    start = i + 1;
                }
                cur.write(data, start, lineEnd - start);
            }
            int contentEnd = end > i && data[end - 1] == '\r' ? end - 1 : end;
            prevBlank = contentEnd == i;
            i = lineEnd;
        }
        if (cur != null) {
            out.add(trimTrailingBlank(cur.toByteArray()));
        }
        return out;
    }

    private static boolean startsWith(byte[] d, int at, String s) {
        if (at + s.length() > d.length) {
            return false;
        }
        for (int k = 0; k < s.length(); k++) {
            if (d[at + k] != s.charAt(k)) {
                return false;
            }
        }
        return true;
    }

    /** mbox separates messages with a blank line that belongs to the format, not the message. */
    private static byte[] trimTrailingBlank(byte[] m) {
        int n = m.length;
        if (n >= 2 && m[n - 1] == '\n' && m[n - 2] == '\n') {
            n--;
        } else if (n >= 4 && m[n - 1] == '\n' && m[n - 2] == '\r' && m[n - 3] == '\n' && m[n - 4] == '\r') {
            n -= 2;
        }
        return java.util.Arrays.copyOf(m, n);
    }
}
