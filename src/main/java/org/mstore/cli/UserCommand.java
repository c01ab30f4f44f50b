package org.mstore.cli;

import java.io.BufferedReader;
import java.io.Console;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;

import org.mstore.api.MessageStore;
import org.mstore.api.UserInfo;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "user", mixinStandardHelpOptions = true, header = "Manage the mail users who log in to imapd.", description = {"The mail users who log in to imapd: add, passwd, del, list.",
        "Passwords are read from standard input (one line) or asked for at the terminal, never taken from the command line."},
        subcommands = {UserCommand.Add.class, UserCommand.Passwd.class, UserCommand.Del.class, UserCommand.ListUsers.class})
final class UserCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "missing command: use one of add, passwd, del, list");
    }

    static final String PROCESS = "user";

    /** What is done with a password on an open store. */
    interface PasswordWork {
        void run(MessageStore s, char[] password) throws Exception;
    }

    /**
     * Opens the store, checks that it keeps mail users (before asking for a password), reads the password, runs
     * {@code work} with it and wipes it.
     */
    static void withPassword(StoreOption store, CommandSpec spec, PasswordWork work) throws Exception {
        try (MessageStore s = store.open(PROCESS)) {
            s.info().requireMailUsers();
            char[] pw = password(spec);
            try {
                work.run(s, pw);
            } finally {
                java.util.Arrays.fill(pw, '\0');
            }
        }
    }

    /** The password: asked twice at a terminal, else the first line of standard input. */
    static char[] password(CommandSpec spec) throws IOException {
        Console c = System.console();
        if (c != null) {
            char[] a = c.readPassword("Password: ");
            char[] b = c.readPassword("Again: ");
            if (a == null || b == null || !java.util.Arrays.equals(a, b)) {
                throw new IllegalArgumentException("the passwords do not match");
            }
            java.util.Arrays.fill(b, '\0');
            return a;
        }
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line = in.readLine();
        if (line == null || line.isEmpty()) {
            throw new IllegalArgumentException("no password: give it on standard input (one line) or run at a terminal");
        }
        return line.toCharArray();
    }

    @Command(name = "add", mixinStandardHelpOptions = true, header = "Add a user and their INBOX.", description = "Add a user (and their INBOX, user/NAME); the password comes from standard input.")
    static final class Add implements Callable<Integer> {
        @Mixin
        StoreOption store;
        @Spec
        CommandSpec spec;
        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Override
        public Integer call() throws Exception {
            withPassword(store, spec, (s, pw) -> s.users().add(name, pw));
            spec.commandLine().getOut().println("added user " + name + " (INBOX user/" + name + ")");
            return 0;
        }
    }

    @Command(name = "passwd", mixinStandardHelpOptions = true, header = "Change a user's password.", description = "Change a user's password (from standard input).")
    static final class Passwd implements Callable<Integer> {
        @Mixin
        StoreOption store;
        @Spec
        CommandSpec spec;
        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Override
        public Integer call() throws Exception {
            withPassword(store, spec, (s, pw) -> s.users().setPassword(name, pw));
            spec.commandLine().getOut().println("changed the password of " + name);
            return 0;
        }
    }

    @Command(name = "del", mixinStandardHelpOptions = true, header = "Remove a user's login (their mail stays).", description = "Remove a user's login and subscriptions (their mail stays).")
    static final class Del implements Callable<Integer> {
        @Mixin
        StoreOption store;
        @Spec
        CommandSpec spec;
        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Override
        public Integer call() throws Exception {
            try (MessageStore s = store.open(PROCESS)) {
                s.info().requireMailUsers();
                s.users().delete(name);
                spec.commandLine().getOut().println("removed user " + name + " (their mailboxes are kept)");
            }
            return 0;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, header = "List the users.", description = "List the users.")
    static final class ListUsers implements Callable<Integer> {
        @Mixin
        StoreOption store;
        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            try (MessageStore s = store.open(PROCESS)) {
                s.info().requireMailUsers();
                PrintWriter out = spec.commandLine().getOut();
                out.printf("%-30s %-20s %-20s%n", "User", "Added", "Password changed");
                java.time.format.DateTimeFormatter f = java.time.format.DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss")
                        .withZone(s.clock().getZone());
                for (UserInfo u : s.users().list()) {
                    out.printf("%-30s %-20s %-20s%n", u.name(), f.format(u.created()), f.format(u.passwordChanged()));
                }
            }
            return 0;
        }
    }
}
