package org.mstore.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code java -jar mstore.jar <command> ...}: the administrator's commands. Exit status 0 on success;
 * otherwise one line on stderr naming what was wrong, and a non-zero status (1 for a refused or failed
 * action, 2 for bad usage).
 */
@Command(name = "mstore", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Message-store maintenance: the classic store, its maintenance queue, impurge and the admin console.",
        subcommands = {InitCommand.class, MboxutilCommand.class, ClientCommand.class, ImcheckCommand.class, ImpurgeCommand.class,
                ImexpireCommand.class, ReconstructCommand.class, MsconfigCommand.class, GenerateCommand.class,
                SimulateCommand.class, ConsoleCommand.class})
public final class Main implements Callable<Integer> {
    @Override
    public Integer call() {
        new CommandLine(this).usage(System.out);
        return 0;
    }

    public static void main(String[] args) {
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs a command line with the given output streams; returns the exit status. */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cl = new CommandLine(new Main());
        cl.setOut(out);
        cl.setErr(err);
        cl.setParameterExceptionHandler((ex, a) -> {
            CommandLine c = ex.getCommandLine();
            c.getErr().println(c.getCommandSpec().qualifiedName() + ": " + oneLine(ex.getMessage())
                    + " (see '" + c.getCommandSpec().qualifiedName() + " --help')");
            c.getErr().flush();
            return 2;
        });
        cl.setExecutionExceptionHandler((ex, c, parseResult) -> {
            String msg = ex.getMessage();
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
