package org.mstore.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.mstore.db.Database;

/**
 * The promises of docs/security.md for a store made and used by this release, each proved by the rule's own test,
 * against a real store made by real {@code mstore} processes (init, generate, a flag change, an expunge, impurge),
 * with the attacks made as the unprivileged user {@code nobody}. Needs root (to act as {@code nobody}); skipped
 * otherwise.
 */
class StoreSecurityTest {
    static final Set<PosixFilePermission> FILE = PosixFilePermissions.fromString("rw-------");
    static final Set<PosixFilePermission> DIR = PosixFilePermissions.fromString("rwx------");
    /**
     * The mailboxes' directories and files (messages, indexes, caches, locks under {@code partition/<name>/}) are
     * created by the store layer ({@code org.mstore.store}), which is being made owner-only on its own branch. Until
     * that lands they are checked for what protects them here (the store root, {@code partition/} and each partition,
     * made by init, are owner-only); then set this to false.
     */
    static final boolean STORE_LAYER_FILES_PENDING = false;

    static Processes processes;
    static Path store;
    Processes.Background holder;

    @BeforeAll
    static void makeAStore() throws Exception {
        assumeTrue(Processes.root(), "acts as nobody: needs root");
        processes = new Processes();
        store = processes.openDirectory("stores").resolve("store");
        String s = store.toString();
        processes.mstore("init", "--store", s).ok();
        processes.mstore("generate", "--users", "2", "--folders", "1", "--messages", "30", "--store", s).ok();
        processes.mstore("msconfig", "set", "store.cleanupsize", "1", "--store", s).ok();
        processes.mstore("msconfig", "set", "store.cleanupage", "0s", "--store", s).ok();
        processes.mstore("client", "delete", "user/user0001", "1:10", "--store", s).ok();
        processes.mstore("client", "expunge", "user/user0001", "--store", s).ok();
        processes.mstore("impurge", "--exit-when-empty", "--store", s).ok();
    }

    @AfterAll
    static void removeIt() throws Exception {
        if (processes != null) {
            processes.close();
        }
    }

    @AfterEach
    void releaseHolder() throws Exception {
        if (holder != null && holder.process().isAlive()) {
            holder.release();
            holder.awaitExit();
        }
    }

    /** A process that holds the store's database open (and so serves it) until released. */
    Processes.Background hold() throws Exception {
        holder = processes.worker("hold", store.toString());
        holder.awaitOutput("ready owner=true");
        return holder;
    }

    static Map<String, String> serverRecord() throws IOException {
        Map<String, String> fields = new TreeMap<>();
        for (String line : Files.readAllLines(store.resolve("mboxlist").resolve("server"))) {
            if (line.isBlank()) {
                continue; // the record is padded to its fixed length
            }
            String[] kv = line.split(" ", 2);
            fields.put(kv[0], kv[1]);
        }
        return fields;
    }

    @Test
    void a_new_store_has_no_file_or_directory_that_others_can_read() throws Exception {
        Path mboxlist = store.resolve("mboxlist");
        for (Path p : List.of(mboxlist.resolve("mstore.mv.db"), mboxlist.resolve("secret"), mboxlist.resolve("owner.lck"),
                mboxlist.resolve("purge.session.lck"), store.resolve("log").resolve("default"))) {
            assertThat(p).as("made by init, generate, expunge and impurge").isRegularFile();
        }
        assertThat(Files.readAllLines(store.resolve("log").resolve("default"))).as("impurge logged").isNotEmpty();

        List<String> wider = new ArrayList<>();
        List<String> storeLayer = new ArrayList<>();
        try (Stream<Path> all = Files.walk(store)) {
            for (Path p : (Iterable<Path>) all::iterator) {
                Set<PosixFilePermission> mode = Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS);
                String rel = store.relativize(p) + " " + PosixFilePermissions.toString(mode);
                boolean dir = Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS);
                if (mode.equals(dir ? DIR : FILE)) {
                    continue;
                }
                Path inStore = store.relativize(p);
                if (STORE_LAYER_FILES_PENDING && inStore.getNameCount() > 2 && inStore.getName(0).toString().equals("partition")) {
                    storeLayer.add(rel);
                } else {
                    wider.add(rel);
                }
            }
        }
        assertThat(wider).as("files not rw------- and directories not rwx------").isEmpty();
        // what still protects the store layer's files: every directory from the store root down is owner-only
        assertThat(Files.getPosixFilePermissions(store)).isEqualTo(DIR);
        assertThat(Files.getPosixFilePermissions(store.resolve("partition"))).isEqualTo(DIR);
        assertThat(Files.getPosixFilePermissions(store.resolve("partition").resolve("primary"))).isEqualTo(DIR);
        if (!storeLayer.isEmpty()) {
            System.out.println("[security] entries the store layer still creates with the umask (behind owner-only directories): "
                    + storeLayer.size());
        }
    }

    @Test
    void another_user_cannot_read_a_message_a_setting_or_the_database() throws Exception {
        Path readable = Files.writeString(processes.openDirectory("control").resolve("readable.txt"), "anyone\n");
        Files.setPosixFilePermissions(readable, PosixFilePermissions.fromString("rw-r--r--"));
        assertThat(processes.asNobody("cat", readable.toString()).ok().out()).as("nobody can read what is world-readable")
                .isEqualTo("anyone\n");

        Path message;
        Path index;
        try (Stream<Path> s = Files.walk(store.resolve("partition"))) {
            List<Path> files = s.filter(Files::isRegularFile).toList();
            message = files.stream().filter(p -> p.toString().endsWith(".msg")).findFirst().orElseThrow();
            index = files.stream().filter(p -> p.getFileName().toString().equals("store.idx")).findFirst().orElseThrow();
        }
        Path mboxlist = store.resolve("mboxlist");
        for (Path p : List.of(message, index, mboxlist.resolve("mstore.mv.db"), mboxlist.resolve("secret"),
                store.resolve("log").resolve("default"))) {
            Processes.Result r = processes.asNobody("cat", p.toString());
            assertThat(r.exit()).as(r.describe()).isNotZero();
            assertThat(r.err()).as(r.describe()).contains("Permission denied");
            assertThat(r.out()).isEmpty();
        }
        for (Path d : List.of(store, mboxlist, store.resolve("partition"))) {
            Processes.Result r = processes.asNobody("ls", d.toString());
            assertThat(r.err()).as(r.describe()).contains("Permission denied");
        }
    }

    @Test
    void the_database_server_listens_on_loopback_only() throws Exception {
        hold();
        int port = Integer.parseInt(serverRecord().get("port"));
        assertThat(Files.getPosixFilePermissions(store.resolve("mboxlist").resolve("server"))).isEqualTo(FILE);

        List<String> listening = listeningSockets(holder.process().pid());
        assertThat(listening).as("the serving process listens on the port in mboxlist/server")
                .contains("127.0.0.1:" + port);
        assertThat(listening).as("every socket the serving process listens on").allMatch(a -> a.startsWith("127.0.0.1:"));
    }

    /** The local addresses ({@code a.b.c.d:port}) of the sockets that process {@code pid} listens on (TCP, v4 and v6). */
    static List<String> listeningSockets(long pid) throws IOException {
        Set<String> inodes = new HashSet<>();
        try (Stream<Path> fds = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
            for (Path fd : (Iterable<Path>) fds::iterator) {
                try {
                    Matcher m = Pattern.compile("socket:\\[(\\d+)]").matcher(Files.readSymbolicLink(fd).toString());
                    if (m.matches()) {
                        inodes.add(m.group(1));
                    }
                } catch (IOException e) {
                    // closed meanwhile
                }
            }
        }
        List<String> out = new ArrayList<>();
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            List<String> lines = Files.readAllLines(Path.of(table));
            for (String line : lines.subList(1, lines.size())) {
                String[] f = line.trim().split("\\s+");
                if (f[3].equals("0A") && inodes.contains(f[9])) { // 0A: LISTEN
                    out.add(address(f[1]));
                }
            }
        }
        return out;
    }

    /** {@code 0100007F:1F90} (or its IPv6 form, v4-mapped) as {@code 127.0.0.1:8080}; other IPv6 addresses as hex. */
    static String address(String hexAddressPort) {
        String[] ap = hexAddressPort.split(":");
        String hex = ap[0];
        int port = Integer.parseInt(ap[1], 16);
        if (hex.length() == 32 && hex.startsWith("0000000000000000FFFF0000")) {
            hex = hex.substring(24); // ::ffff:a.b.c.d
        }
        if (hex.length() != 8) {
            return "[" + hex + "]:" + port;
        }
        long v = Long.parseLong(hex, 16); // little-endian in /proc
        return (v & 0xff) + "." + (v >> 8 & 0xff) + "." + (v >> 16 & 0xff) + "." + (v >> 24 & 0xff) + ":" + port;
    }

    @Test
    void another_user_cannot_connect_to_the_database() throws Exception {
        hold();
        Map<String, String> server = serverRecord();
        String port = server.get("port");
        String key = server.get("key");
        processes.installTools(ConnectProbe.class);

        Processes.Result cat = processes.asNobody("cat", store.resolve("mboxlist").resolve("server").toString());
        assertThat(cat.err()).as("the port and key are the owner's alone").contains("Permission denied");

        // what nobody can guess (the database's path, names) and, to be sure, the real key it cannot read
        String path = store.resolve("mboxlist").resolve("mstore").toString();
        List<String> keys = List.of(path, "mstore", "mboxlist/mstore", "~/mstore", key);
        List<String> args = new ArrayList<>(List.of(port));
        args.addAll(keys);
        Processes.Result probe = processes.javaAsNobody(ConnectProbe.class.getName(), args.toArray(String[]::new));
        assertThat(probe.out()).as(probe.describe()).doesNotContain("CONNECTED").contains("refused");
        assertThat(probe.out().lines().filter(l -> l.startsWith("refused")).count())
                .isEqualTo((long) keys.size() * ConnectProbe.CREDENTIALS.length);
        assertThat(probe.out().lines().filter(l -> l.startsWith("refused")))
                .allMatch(l -> l.contains("Wrong user name or password"), "refused for the credentials");

        // the audit's attack, as it was made: H2's Shell, user mstore, empty password, code in an alias
        Processes.Result shell = processes.javaAsNobody("org.h2.tools.Shell", "-url", "jdbc:h2:tcp://127.0.0.1:" + port + "/" + key,
                "-user", "mstore", "-password", "", "-sql",
                "CREATE ALIAS X AS 'String x() throws Exception { return new String(new ProcessBuilder(\"id\").start()"
                        + ".getInputStream().readAllBytes()); }'; CALL X();");
        assertThat(shell.out() + shell.err()).as(shell.describe()).doesNotContain("uid=").contains("Wrong user name or password");
    }

    @Test
    void the_application_user_cannot_make_the_database_run_code() throws Exception {
        hold();
        Path marker = processes.base.resolve("written-by-the-database");
        // over TCP (another process serves the database), then embedded (this one does)
        for (boolean remote : new boolean[] {true, false}) {
            if (!remote) {
                holder.release();
                holder.awaitExit();
            }
            try (Database db = Database.open(store, false); Connection c = db.connection(); Statement s = c.createStatement()) {
                assertThat(db.servesOthers()).isEqualTo(!remote);
                try (ResultSet rs = s.executeQuery("SELECT CURRENT_USER")) {
                    rs.next();
                    assertThat(rs.getString(1)).isEqualTo("MSTORE_APP");
                }
                for (String sql : List.of(
                        "CREATE ALIAS X AS 'String x() throws Exception { return new String(new ProcessBuilder(\"id\").start()"
                                + ".getInputStream().readAllBytes()); }'",
                        "CREATE ALIAS Y FOR 'java.lang.Runtime.getRuntime'",
                        "CREATE TRIGGER T BEFORE INSERT ON setting FOR EACH ROW CALL 'org.h2.tools.TriggerAdapter'",
                        "CALL CSVWRITE('" + marker + "', 'SELECT * FROM setting')",
                        "CALL FILE_WRITE('x', '" + marker + "')",
                        "SELECT FILE_READ('/etc/hostname')",
                        "SELECT * FROM CSVREAD('/etc/hostname')",
                        "RUNSCRIPT FROM '/etc/hostname'",
                        "SCRIPT TO '" + marker + "'",
                        "BACKUP TO '" + marker + "'",
                        "CREATE LINKED TABLE L('org.h2.Driver', 'jdbc:h2:mem:', '', '', 'INFORMATION_SCHEMA.USERS')",
                        "CREATE TABLE scratch(id INT)",
                        "DROP TABLE setting",
                        "ALTER USER MSTORE_APP ADMIN TRUE",
                        "CREATE USER evil PASSWORD 'x' ADMIN",
                        "GRANT ALTER ANY SCHEMA TO MSTORE_APP",
                        "SET EXCLUSIVE 1",
                        "SHUTDOWN")) {
                    assertThatThrownBy(() -> s.execute(sql)).as(sql).isInstanceOf(SQLException.class)
                            .satisfies(e -> assertThat(((SQLException) e).getErrorCode()).as(sql + ": " + e.getMessage())
                                    .isIn(90040, 90096)); // admin rights required; not enough rights
                }
                assertThat(marker).doesNotExist();
                try (ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM mailbox")) {
                    rs.next();
                    assertThat(rs.getInt(1)).as("while its data rights work").isPositive();
                }
            }
        }
    }
}
