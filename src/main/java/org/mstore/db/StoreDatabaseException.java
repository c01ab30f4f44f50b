package org.mstore.db;

import java.sql.SQLException;

/** An SQL failure surfaced as an unchecked exception, with H2's message kept. */
public class StoreDatabaseException extends RuntimeException {
    public StoreDatabaseException(SQLException cause) {
        super(message(cause), cause);
    }

    private static String message(SQLException cause) {
        String refused = Database.writeRefused(cause);
        if (refused != null) {
            return "cannot write the mboxlist database: " + refused + " (its file is intact: free space on its file system, then run "
                    + "the command again)";
        }
        return "mboxlist database error: " + firstLine(cause.getMessage())
                + (Database.corrupted(cause) ? "; the database is damaged: " + DatabaseDamagedException.HINT : "");
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "unknown";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
