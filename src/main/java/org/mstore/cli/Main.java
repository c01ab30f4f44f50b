package org.mstore.cli;

import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code java -jar mstore.jar <command> ...}: the administrator's commands. Exit status 0 on success;
 * otherwise one line on stderr naming what was wrong, and a non-zero status (1 for a refused or failed
 * action, 2 for bad usage).
 */
@Command(name = "mstore", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Message-store maintenance: the classic store, its maintenance queue, impurge and the admin console.")
public final class Main implements Callable<Integer> {
    /**
     * The sub-commands, in the order {@code mstore --help} lists them. They are added to the command line here, not
     * named in the annotation: picocli reads every option of every command it is given before it parses anything, and
     * a command run by name needs only its own (see {@link #commandLine(String[])}).
     */
    static final List<Class<?>> COMMANDS = List.of(InitCommand.class, MboxutilCommand.class, ClientCommand.class, ImcheckCommand.class,
            ImpurgeCommand.class, ImexpireCommand.class, ReconstructCommand.class, MsconfigCommand.class, GenerateCommand.class,
            SimulateCommand.class, ConsoleCommand.class, BenchCommand.class, UserCommand.class, ImapdCommand.class,
            SessionsCommand.class, LmtpdCommand.class, ImapBenchCommand.class, CassandraCommand.class,
            MigrateCommand.class, UnexpungeCommand.class, CommandLine.HelpCommand.class);

    @Override
    public Integer call() {
        commandLine().usage(System.out);
        return 0;
    }

    /** The whole command line: every sub-command ({@code mstore --help}, {@code mstore help CMD}, a mistyped command). */
    static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        for (Class<?> c : COMMANDS) {
            cl.addSubcommand(c);
        }
        withoutHeaderInUsage(cl);
        valuesMayStartWithDash(cl);
        return cl;
    }

    /**
     * {@code msconfig set store.cleanupage -1h}: a setting's value that starts with '-' is the value (refused by the
     * setting's own check, with its range), not an unknown option.
     */
    private static void valuesMayStartWithDash(CommandLine cl) {
        CommandLine msconfig = cl.getSubcommands().get("msconfig");
        if (msconfig != null) {
            msconfig.setUnmatchedOptionsArePositionalParams(true);
        }
    }

    /**
     * The command line for {@code args}: when its first word names a sub-command, {@code mstore} with that one alone
     * (about 0.1 s of CPU less start-up than reading all twenty); for {@code --version}, none; otherwise the whole of it.
     */
    static CommandLine commandLine(String[] args) {
        if (args.length == 1 && (args[0].equals("--version") || args[0].equals("-V"))) {
            return new CommandLine(new Main());
        }
        if (args.length > 0 && !args[0].startsWith("-")) {
            for (Class<?> c : COMMANDS) {
                Command a = c.getAnnotation(Command.class);
                if (a != null && !c.equals(CommandLine.HelpCommand.class)
                        && (a.name().equals(args[0]) || java.util.Arrays.asList(a.aliases()).contains(args[0]))) {
                    CommandLine cl = new CommandLine(new Main());
                    cl.addSubcommand(c);
                    withoutHeaderInUsage(cl);
                    valuesMayStartWithDash(cl);
                    return cl;
                }
            }
        }
        return commandLine();
    }

    public static void main(String[] args) {
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs a command line with the given output streams; returns the exit status. */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cl = commandLine(args);
        cl.setOut(out);
        cl.setErr(err);
        cl.setParameterExceptionHandler((ex, a) -> {
            CommandLine c = ex.getCommandLine();
            c.getErr().println(c.getCommandSpec().qualifiedName() + ": " + usageProblem(ex)
                    + " (see '" + c.getCommandSpec().qualifiedName() + " --help')");
            c.getErr().flush();
            return 2;
        });
        cl.setExecutionExceptionHandler((ex, c, parseResult) -> {
            String msg = ex.getMessage();
            if (ex instanceof java.io.UncheckedIOException u && u.getCause() != null && u.getCause().toString().equals(msg)) {
                msg = u.getCause().getMessage(); // wrapped without words of its own: the I/O error's, not its class name
            }
            if (msg == null || msg.isBlank() || ex instanceof NullPointerException) {
                msg = ex.getClass().getSimpleName() + (msg == null ? "" : ": " + msg);
            }
            c.getErr().println(c.getCommandSpec().qualifiedName() + ": " + oneLine(msg));
            c.getErr().flush();
            if (System.getenv("MSTORE_DEBUG") != null) {
                ex.printStackTrace(c.getErr());
            }
            return 1;
        });
        return cl.execute(args);
    }

    /**
     * Each command's header is its one-sentence summary in {@code mstore --help}'s command list; its own usage starts
     * with the synopsis and its fuller description instead. Each also prints mstore's version for {@code -V}.
     */
    private static void withoutHeaderInUsage(CommandLine c) {
        java.util.List<String> keys = new java.util.ArrayList<>(c.getHelpSectionKeys());
        keys.remove(CommandLine.Model.UsageMessageSpec.SECTION_KEY_HEADER_HEADING);
        keys.remove(CommandLine.Model.UsageMessageSpec.SECTION_KEY_HEADER);
        c.setHelpSectionKeys(keys);
        // every command offers -V / --version (mixinStandardHelpOptions): each prints mstore's, not an empty line
        if (c.getCommandSpec().versionProvider() == null) {
            c.getCommandSpec().versionProvider(new Version());
        }
        for (CommandLine sub : c.getSubcommands().values()) {
            withoutHeaderInUsage(sub);
        }
    }

    /**
     * What was wrong with the command line, in one line. A command that needs a sub-command ({@code mstore},
     * {@code mstore client}) says which ones there are, rather than picocli's "Unmatched arguments".
     */
    static String usageProblem(CommandLine.ParameterException ex) {
        CommandLine c = ex.getCommandLine();
        if (ex instanceof CommandLine.UnmatchedArgumentException u && !c.getSubcommands().isEmpty() && !u.getUnmatched().isEmpty()) {
            String first = u.getUnmatched().get(0);
            String commands = String.join(", ", c.getSubcommands().keySet());
            return first.startsWith("-") ? "missing command before '" + oneLine(first) + "': use one of " + commands
                    : "unknown command '" + oneLine(first) + "': use one of " + commands;
        }
        String m = oneLine(ex.getMessage());
        return m.startsWith("Error: ") ? m.substring("Error: ".length()) : m;
    }

    static String oneLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        return (nl < 0 ? s : s.substring(0, nl)).strip();
    }

    /** The version from the jar's manifest. */
    public static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"mstore " + (v == null ? "(development build)" : v)};
        }
    }
}
