package org.mstore.expire;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

import org.mstore.api.RuleFileException;

/**
 * Parses a rule file of {@code rule.attr: value} lines:
 *
 * <pre>
 * # comments and blank lines are ignored
 * Trash.folderpattern: user/*&#47;Trash
 * Trash.messagedays: 7
 * Big.regexp: 1
 * Big.folderpattern: user/.*
 * Big.messagesize: 10000000
 * </pre>
 *
 * Attributes: folderpattern (required; an IMAP pattern where {@code *} matches anything and {@code %}
 * anything but {@code /}, or a Java regular expression with {@code regexp: 1}), messagedays, messagecount,
 * foldersize, messagesize (whole numbers), seen and deleted ({@code and} or {@code or}), exclusive (0/1),
 * regexp (0/1). A line without a rule name belongs to the rule named {@code default}. Every error names the
 * file and line.
 */
public final class RuleFile {
    private static final List<String> ATTRIBUTES = List.of("folderpattern", "messagedays", "messagecount", "foldersize",
            "messagesize", "deleted", "seen", "exclusive", "regexp");

    private RuleFile() {
    }

    public static List<ExpireRule> read(Path file) throws IOException {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new RuleFileException(file + ": no such rule file");
        } catch (java.nio.charset.MalformedInputException e) {
            throw new RuleFileException(file + ": not UTF-8 text");
        } catch (IOException e) {
            // a directory, no permission: say which file, in the operating system's words
            throw new RuleFileException(file + ": cannot read the rule file: "
                    + (Files.isDirectory(file) ? "it is a directory" : e.getMessage() != null ? e.getMessage() : e.toString()));
        }
        return parse(file.toString(), text);
    }

    private static final class Draft {
        final String name;
        final int firstLine;
        final Map<String, String> attrs = new LinkedHashMap<>();
        final Map<String, Integer> lines = new LinkedHashMap<>();

        Draft(String name, int line) {
            this.name = name;
            this.firstLine = line;
        }
    }

    public static List<ExpireRule> parse(String source, String text) {
        Map<String, Draft> drafts = new LinkedHashMap<>();
        String[] lines = text.split("\r?\n", -1);
        for (int i = 0; i < lines.length; i++) {
            int n = i + 1;
            String line = lines[i].strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int colon = line.indexOf(':');
            if (colon <= 0) {
                throw error(source, n, "expected 'rule.attribute: value', got '" + abbreviate(line) + "'");
            }
            String key = line.substring(0, colon).strip();
            String value = line.substring(colon + 1).strip();
            String rule;
            String attr;
            int dot = key.lastIndexOf('.');
            if (dot < 0) {
                rule = "default";
                attr = key.toLowerCase(Locale.ROOT);
            } else {
                rule = key.substring(0, dot);
                attr = key.substring(dot + 1).toLowerCase(Locale.ROOT);
                if (rule.isEmpty() || !rule.matches("[A-Za-z0-9_-]+")) {
                    throw error(source, n, "bad rule name '" + rule + "' (letters, digits, '-' and '_')");
                }
            }
            if (!ATTRIBUTES.contains(attr)) {
                throw error(source, n, "unknown attribute '" + attr + "'; known: " + String.join(", ", ATTRIBUTES));
            }
            if (value.isEmpty()) {
                throw error(source, n, attr + " has no value");
            }
            Draft d = drafts.computeIfAbsent(rule, r -> new Draft(r, n));
            if (d.attrs.containsKey(attr)) {
                throw error(source, n, "rule " + rule + " sets " + attr + " twice (first on line " + d.lines.get(attr) + ")");
            }
            d.attrs.put(attr, value);
            d.lines.put(attr, n);
        }
        List<ExpireRule> rules = new ArrayList<>();
        for (Draft d : drafts.values()) {
            rules.add(build(source, d));
        }
        return rules;
    }

    private static ExpireRule build(String source, Draft d) {
        String pattern = d.attrs.get("folderpattern");
        if (pattern == null) {
            throw error(source, d.firstLine, "rule " + d.name + " has no folderpattern");
        }
        boolean regexp = bool(source, d, "regexp");
        if (!pattern.startsWith("user/")) {
            throw error(source, d.lines.get("folderpattern"), "folderpattern must start with user/");
        }
        Pattern p;
        try {
            p = regexp ? Pattern.compile(pattern) : Pattern.compile(imapToRegex(pattern));
        } catch (PatternSyntaxException e) {
            throw error(source, d.lines.get("folderpattern"), "bad regular expression: " + e.getDescription());
        }
        ExpireRule r = new ExpireRule(d.name, d.firstLine, p, pattern, number(source, d, "messagedays"), number(source, d, "messagecount"),
                number(source, d, "foldersize"), number(source, d, "messagesize"), flag(source, d, "seen"), flag(source, d, "deleted"),
                bool(source, d, "exclusive"));
        boolean any = r.messageDays() != null || r.messageCount() != null || r.folderSize() != null || r.messageSize() != null
                || r.seen() != ExpireRule.FlagMode.NONE || r.deleted() != ExpireRule.FlagMode.NONE;
        if (!any) {
            throw error(source, d.firstLine, "rule " + d.name + " has no criterion (messagedays, messagecount, foldersize, "
                    + "messagesize, seen or deleted)");
        }
        return r;
    }

    /** An IMAP list pattern as a regular expression: {@code *} anything, {@code %} anything but '/'. */
    static String imapToRegex(String pattern) {
        StringBuilder sb = new StringBuilder();
        for (char c : pattern.toCharArray()) {
            if (c == '*') {
                sb.append(".*");
            } else if (c == '%') {
                sb.append("[^/]*");
            } else {
                sb.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return sb.toString();
    }

    private static Long number(String source, Draft d, String attr) {
        String v = d.attrs.get(attr);
        if (v == null) {
            return null;
        }
        try {
            long n = Long.parseLong(v);
            if (n < 0) {
                throw error(source, d.lines.get(attr), attr + " must not be negative: '" + v + "'");
            }
            return n;
        } catch (NumberFormatException e) {
            throw error(source, d.lines.get(attr), attr + " must be a whole number: '" + v + "'");
        }
    }

    private static ExpireRule.FlagMode flag(String source, Draft d, String attr) {
        String v = d.attrs.get(attr);
        if (v == null) {
            return ExpireRule.FlagMode.NONE;
        }
        return switch (v.toLowerCase(Locale.ROOT)) {
            case "and" -> ExpireRule.FlagMode.AND;
            case "or" -> ExpireRule.FlagMode.OR;
            default -> throw error(source, d.lines.get(attr), attr + " must be 'and' or 'or': '" + v + "'");
        };
    }

    private static boolean bool(String source, Draft d, String attr) {
        String v = d.attrs.get(attr);
        if (v == null) {
            return false;
        }
        return switch (v.toLowerCase(Locale.ROOT)) {
            case "1", "yes", "true" -> true;
            case "0", "no", "false" -> false;
            default -> throw error(source, d.lines.get(attr), attr + " must be 1 or 0: '" + v + "'");
        };
    }

    private static RuleFileException error(String source, int line, String message) {
        return new RuleFileException(source + ":" + line + ": " + message);
    }

    private static String abbreviate(String s) {
        return s.length() > 60 ? s.substring(0, 57) + "..." : s;
    }
}
