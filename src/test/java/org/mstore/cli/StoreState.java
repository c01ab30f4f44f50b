package org.mstore.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.stream.Stream;
import java.util.zip.CRC32;

import org.mstore.db.Database;

/**
 * Everything a command could change in a store, for "nothing changed" checks: every file outside
 * {@code mboxlist/} (path, size, checksum; the default log included) and every row of every table of the
 * mboxlist database. The database file itself is not compared: H2 rewrites it on every open.
 */
record StoreState(TreeMap<String, String> files, TreeMap<String, List<String>> tables) {

    static StoreState of(Path root) {
        return new StoreState(files(root), tables(root));
    }

    /** Only the files (for a directory that holds no database). */
    static TreeMap<String, String> files(Path root) {
        TreeMap<String, String> out = new TreeMap<>();
        if (!Files.exists(root)) {
            return out;
        }
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                String rel = root.relativize(p).toString().replace('\\', '/');
                if (rel.equals("mboxlist") || rel.startsWith("mboxlist/")) {
                    continue;
                }
                if (Files.isDirectory(p)) {
                    out.put(rel + "/", "dir");
                } else {
                    byte[] b = Files.readAllBytes(p);
                    CRC32 crc = new CRC32();
                    crc.update(b);
                    out.put(rel, b.length + " bytes, crc " + Long.toHexString(crc.getValue()));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    private static TreeMap<String, List<String>> tables(Path root) {
        TreeMap<String, List<String>> out = new TreeMap<>();
        if (!Files.exists(root.resolve("mboxlist").resolve("mstore.mv.db"))) {
            return out;
        }
        // through Database, as the store's own processes do (its database users' passwords derive from mboxlist/secret)
        try (Database db = Database.open(root, false); Connection c = db.connection()) {
            List<String> names = new ArrayList<>();
            try (Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT TABLE_NAME FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA = 'PUBLIC'")) {
                while (rs.next()) {
                    names.add(rs.getString(1));
                }
            }
            for (String t : names) {
                List<String> rows = new ArrayList<>();
                try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT * FROM \"" + t + "\" ORDER BY 1")) {
                    ResultSetMetaData md = rs.getMetaData();
                    while (rs.next()) {
                        StringBuilder sb = new StringBuilder();
                        for (int i = 1; i <= md.getColumnCount(); i++) {
                            sb.append(i > 1 ? " | " : "").append(md.getColumnName(i)).append('=').append(rs.getString(i));
                        }
                        rows.add(sb.toString());
                    }
                }
                out.put(t, rows);
            }
        } catch (SQLException | IOException e) {
            throw new IllegalStateException("cannot read the mboxlist of " + root + ": " + e.getMessage(), e);
        }
        return out;
    }
}
