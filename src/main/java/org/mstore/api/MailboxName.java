package org.mstore.api;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32;

/**
 * A validated mailbox name: {@code user/<user>} (the INBOX) or {@code user/<user>/<folder>[/<sub>...]}.
 *
 * <p>Validation is the only gate between a name typed by an administrator or a client and a path on
 * disk, so it is strict: no {@code .} or {@code ..} components, no empty components, no control
 * characters, no backslashes, bounded lengths. {@link #relativeDir()} can therefore never point
 * outside the partition.
 */
public final class MailboxName implements Comparable<MailboxName> {
    public static final int MAX_LENGTH = 512;
    public static final int MAX_COMPONENT_BYTES = 200;
    public static final int MAX_USER_LENGTH = 64;

    private final String user;
    private final List<String> folders;
    private final String name;

    private MailboxName(String user, List<String> folders) {
        this.user = user;
        this.folders = List.copyOf(folders);
        this.name = folders.isEmpty() ? "user/" + user : "user/" + user + "/" + String.join("/", folders);
    }

    /** Parses and validates a mailbox name; throws {@link InvalidMailboxNameException} with the reason. */
    public static MailboxName parse(String text) {
        if (text == null || text.isEmpty()) {
            throw new InvalidMailboxNameException(String.valueOf(text), "the name is empty");
        }
        if (text.length() > MAX_LENGTH) {
            throw new InvalidMailboxNameException(abbreviate(text), "longer than " + MAX_LENGTH + " characters");
        }
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isISOControl(c) || c == '\u2028' || c == '\u2029') {
                throw new InvalidMailboxNameException(printable(text), "contains a control character at position " + (i + 1));
            }
            if (c == '\\') {
                throw new InvalidMailboxNameException(text, "contains a backslash");
            }
        }
        if (text.startsWith("/")) {
            throw new InvalidMailboxNameException(text, "is an absolute path; names look like user/<user>[/<folder>...]");
        }
        String[] parts = text.split("/", -1);
        if (parts.length < 2 || !parts[0].equals("user")) {
            throw new InvalidMailboxNameException(text, "must start with user/<user>");
        }
        String user = parts[1];
        validateUser(text, user);
        List<String> folders = new ArrayList<>();
        for (int i = 2; i < parts.length; i++) {
            String f = parts[i];
            if (f.isEmpty()) {
                throw new InvalidMailboxNameException(text, "has an empty folder name (double or trailing '/')");
            }
            if (f.equals(".") || f.equals("..")) {
                throw new InvalidMailboxNameException(text, "has a '" + f + "' component");
            }
            if (!f.strip().equals(f)) {
                throw new InvalidMailboxNameException(text, "folder '" + f + "' starts or ends with white space");
            }
            if (f.getBytes(StandardCharsets.UTF_8).length > MAX_COMPONENT_BYTES) {
                throw new InvalidMailboxNameException(abbreviate(text), "folder name longer than " + MAX_COMPONENT_BYTES + " bytes");
            }
            folders.add(f);
        }
        return new MailboxName(user, folders);
    }

    /** True when {@code text} is a valid mailbox name. */
    public static boolean isValid(String text) {
        try {
            parse(text);
            return true;
        } catch (InvalidMailboxNameException e) {
            return false;
        }
    }

    private static void validateUser(String text, String user) {
        String problem = userProblem(user);
        if (problem != null) {
            throw new InvalidMailboxNameException(text, user.isEmpty() ? "has an empty user name" : "user name " + problem);
        }
    }

    /**
     * Validates a user name on its own ({@code mstore user add NAME}, a login): the one its INBOX {@code user/NAME}
     * would be named by. Throws {@link InvalidUserNameException}, which names the user name, not a mailbox.
     */
    public static String validUser(String user) {
        String u = String.valueOf(user);
        for (int i = 0; i < u.length(); i++) {
            if (Character.isISOControl(u.charAt(i))) {
                throw new InvalidUserNameException(printable(u), "contains a control character at position " + (i + 1));
            }
        }
        String problem = user == null || user.isEmpty() ? "is empty" : user.contains("/") ? "cannot contain '/'" : userProblem(user);
        if (problem != null) {
            throw new InvalidUserNameException(u.length() > MAX_LENGTH ? abbreviate(u) : u, problem);
        }
        return user;
    }

    /** What is wrong with a user name ({@code "must start with a letter or digit"}...), or null. */
    private static String userProblem(String user) {
        if (user.isEmpty()) {
            return "is empty";
        }
        if (user.length() > MAX_USER_LENGTH) {
            return "longer than " + MAX_USER_LENGTH + " characters";
        }
        char first = user.charAt(0);
        if (!Character.isLetterOrDigit(first) || first > 127) {
            return "must start with a letter or digit";
        }
        for (int i = 0; i < user.length(); i++) {
            char c = user.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '.' || c == '_' || c == '-' || c == '@' || c == '+';
            if (!ok) {
                return "may only contain letters, digits and . _ - @ +";
            }
        }
        return null;
    }

    public String user() {
        return user;
    }

    public List<String> folders() {
        return folders;
    }

    public boolean isInbox() {
        return folders.isEmpty();
    }

    /** The INBOX of this mailbox's user. */
    public MailboxName inbox() {
        return isInbox() ? this : new MailboxName(user, List.of());
    }

    /**
     * The directory of this mailbox relative to a partition root:
     * {@code =user/<hh>/<hh>/=<user>} for the INBOX, then {@code /folders/<folder>} per level.
     */
    public String relativeDir() {
        CRC32 crc = new CRC32();
        crc.update(user.getBytes(StandardCharsets.UTF_8));
        long h = crc.getValue();
        StringBuilder sb = new StringBuilder(64);
        sb.append("=user/").append(hex2((int) (h & 0xff))).append('/').append(hex2((int) ((h >> 8) & 0xff)))
                .append("/=").append(user);
        for (String f : folders) {
            sb.append("/folders/").append(f);
        }
        return sb.toString();
    }

    /**
     * The inverse of {@link #relativeDir()}: the mailbox whose directory is {@code relative}, or null
     * when the path is not a mailbox directory.
     */
    public static MailboxName fromRelativeDir(String relative) {
        String[] p = relative.replace('\\', '/').split("/");
        if (p.length < 4 || !p[0].equals("=user") || !p[3].startsWith("=")) {
            return null;
        }
        StringBuilder name = new StringBuilder("user/").append(p[3].substring(1));
        for (int i = 4; i < p.length; i += 2) {
            if (!p[i].equals("folders") || i + 1 >= p.length) {
                return null;
            }
            name.append('/').append(p[i + 1]);
        }
        try {
            MailboxName m = parse(name.toString());
            return m.relativeDir().equals(String.join("/", p)) ? m : null;
        } catch (InvalidMailboxNameException e) {
            return null;
        }
    }

    private static String hex2(int v) {
        String s = Integer.toHexString(v);
        return s.length() == 1 ? "0" + s : s;
    }

    private static String abbreviate(String s) {
        return s.length() > 60 ? s.substring(0, 57) + "..." : s;
    }

    private static String printable(String s) {
        StringBuilder sb = new StringBuilder();
        for (char c : s.toCharArray()) {
            if (Character.isISOControl(c)) {
                sb.append(String.format("\\u%04x", (int) c));
            } else {
                sb.append(c);
            }
        }
        return abbreviate(sb.toString());
    }

    @Override
    public int compareTo(MailboxName o) {
        return name.compareTo(o.name);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof MailboxName m && m.name.equals(name);
    }

    @Override
    public int hashCode() {
        return name.hashCode();
    }

    @Override
    public String toString() {
        return name;
    }
}
