package org.mstore.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import picocli.CommandLine;

/** Every command explains itself: {@code --help} on each, {@code mstore help CMD}, and a summary that is a whole sentence. */
class HelpCliTest {
    @TempDir
    Path dir;

    /** Every command and sub-command, as the words that name it ({@code client append}). */
    static List<List<String>> commands() {
        List<List<String>> out = new ArrayList<>();
        walk(Main.commandLine(), new ArrayList<>(), out);
        return out;
    }

    private static void walk(CommandLine c, List<String> path, List<List<String>> out) {
        for (var e : c.getSubcommands().entrySet()) {
            if (e.getKey().equals("help")) {
                continue;
            }
            List<String> p = new ArrayList<>(path);
            p.add(e.getKey());
            out.add(p);
            walk(e.getValue(), p, out);
        }
    }

    @Test
    void version_on_every_command_prints_mstores_version() {
        for (List<String> c : commands()) {
            for (String flag : List.of("-V", "--version")) {
                List<String> args = new ArrayList<>(c);
                args.add(flag);
                java.io.StringWriter out = new java.io.StringWriter();
                java.io.StringWriter err = new java.io.StringWriter();
                int status = Main.run(args.toArray(String[]::new), new java.io.PrintWriter(out), new java.io.PrintWriter(err));
                assertThat(status).as(String.join(" ", args) + ": " + err).isZero();
                assertThat(out.toString()).as(String.join(" ", args)).startsWith("mstore ");
            }
        }
    }

    @Test
    void help_on_every_command_prints_its_usage() {
        java.io.PrintStream realErr = System.err;
        java.io.ByteArrayOutputStream warnings = new java.io.ByteArrayOutputStream();
        System.setErr(new java.io.PrintStream(warnings, true));
        try {
            usageOfEveryCommand();
        } finally {
            System.setErr(realErr);
        }
        // picocli says so on standard error when a description is not a valid format (a lone % in it)
        assertThat(warnings.toString()).doesNotContain("picocli WARN");
    }

    private void usageOfEveryCommand() {
        for (List<String> c : commands()) {
            List<String> args = new ArrayList<>(c);
            args.add("--help");
            java.io.StringWriter out = new java.io.StringWriter();
            java.io.StringWriter err = new java.io.StringWriter();
            int status = Main.run(args.toArray(String[]::new), new java.io.PrintWriter(out), new java.io.PrintWriter(err));
            assertThat(status).as(String.join(" ", args) + ": " + err).isZero();
            assertThat(out.toString()).as(String.join(" ", args)).startsWith("Usage: mstore " + String.join(" ", c));
        }
    }

    @Test
    void help_command_prints_the_usage_of_the_command_named() {
        Cli.Result r = new Cli(dir).run("help", "imcheck").ok();
        assertThat(r.out()).startsWith("Usage: mstore imcheck");
    }

    @Test
    void the_command_list_gives_each_command_a_whole_sentence() {
        java.io.StringWriter out = new java.io.StringWriter();
        Main.run(new String[] {"--help"}, new java.io.PrintWriter(out), new java.io.PrintWriter(new java.io.StringWriter()));
        String list = out.toString().substring(out.toString().indexOf("Commands:"));
        List<String> entries = new ArrayList<>();
        for (String line : list.lines().skip(1).toList()) {
            if (line.startsWith("      ") && !entries.isEmpty()) {
                entries.set(entries.size() - 1, entries.get(entries.size() - 1) + " " + line.strip()); // a wrapped summary
            } else if (!line.isBlank()) {
                entries.add(line.strip());
            }
        }
        assertThat(entries).hasSizeGreaterThan(10);
        for (String entry : entries) {
            assertThat(entry.replaceFirst("^\\S+\\s+", "")).as(entry).endsWith(".");
        }
    }

    /**
     * picocli prints each element of a description on a line of its own: an element that stops mid-sentence leaves a
     * broken line in the usage ("each with an" / "INBOX"). Each ends a sentence or a clause, or introduces a list.
     */
    @Test
    void every_description_line_ends_a_sentence_or_a_clause() {
        for (List<String> c : commands()) {
            CommandLine cl = Main.commandLine();
            for (String word : c) {
                cl = cl.getSubcommands().get(word);
            }
            for (String line : cl.getCommandSpec().usageMessage().description()) {
                String t = line.strip();
                if (t.startsWith("-") || line.startsWith("  ")) {
                    continue; // an item of a list the line before introduces
                }
                assertThat(t).as("mstore " + String.join(" ", c) + ": \"" + line + "\"").matches("(?s).*[.:;)]$");
            }
        }
    }

    @Test
    void a_command_run_by_name_is_built_alone_with_the_same_usage_as_in_the_whole_tree() {
        CommandLine whole = Main.commandLine();
        for (var e : whole.getSubcommands().entrySet()) {
            if (e.getKey().equals("help")) {
                continue;
            }
            CommandLine alone = Main.commandLine(new String[] {e.getKey(), "--help"});
            assertThat(alone.getSubcommands().keySet()).as(e.getKey()).containsExactly(e.getKey());
            assertThat(alone.getSubcommands().get(e.getKey()).getUsageMessage()).as(e.getKey())
                    .isEqualTo(e.getValue().getUsageMessage());
        }
        assertThat(Main.commandLine(new String[] {"--help"}).getSubcommands()).hasSameSizeAs(whole.getSubcommands());
        assertThat(Main.commandLine(new String[] {"imchek", "-q"}).getSubcommands()).hasSameSizeAs(whole.getSubcommands());
    }
}
