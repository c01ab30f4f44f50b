package org.mstore.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipal;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A store is used by its owner only. Its owner can change every file of it, the database included (they can read the
 * secret its admin password derives from): a process of another user — root, running maintenance — that opened it
 * would run the owner's code (an H2 trigger is Java source that H2 compiles and runs when it opens the database) and
 * leave files the owner cannot read. The attack is the tester's: a trigger planted with the admin password, the store
 * then handed to {@code nobody}, and root running {@code imcheck -q} on it. Needs root; skipped otherwise.
 */
class ForeignStoreTest {
    static Processes processes;
    static Path store;
    static Path marker;

    @BeforeAll
    static void makeAStoreOfNobodysWithATrigger() throws Exception {
        assumeTrue(Processes.root(), "hands a store to nobody: needs root");
        processes = new Processes();
        store = processes.openDirectory("stores").resolve("store");
        processes.mstore("init", "--store", store.toString()).ok();
        processes.mstore("generate", "--users", "1", "--folders", "0", "--messages", "5", "--store", store.toString()).ok();
        marker = processes.base.resolve("ran-the-owners-code");
        // what the owner can do: log in as the database's admin (its password derives from the secret they can read)
        byte[] key = HexFormat.of().parseHex(Files.readString(store.resolve("mboxlist/secret"), StandardCharsets.US_ASCII).strip());
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(key, "HmacSHA256"));
        String admin = HexFormat.of().formatHex(mac.doFinal("mstore database admin".getBytes(StandardCharsets.UTF_8)));
        try (Connection c = DriverManager.getConnection("jdbc:h2:file:" + store.resolve("mboxlist/mstore") + ";FILE_LOCK=FS",
                "MSTORE", admin); Statement s = c.createStatement()) {
            s.execute("CREATE TRIGGER PWN BEFORE INSERT ON SETTING AS $$org.h2.api.Trigger create() throws Exception {"
                    + " java.nio.file.Files.writeString(java.nio.file.Path.of(\"" + marker + "\"), System.getProperty(\"user.name\"));"
                    + " return (conn, oldRow, newRow) -> { }; }$$");
            s.execute("SHUTDOWN");
        }
        Files.deleteIfExists(marker); // H2 ran it once here, as it compiled it
        UserPrincipal nobody = store.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody");
        try (Stream<Path> all = Files.walk(store)) {
            for (Path p : all.toList()) {
                Files.setOwner(p, nobody);
            }
        }
    }

    @AfterAll
    static void removeIt() throws Exception {
        if (processes != null) {
            processes.close();
        }
    }

    @Test
    void another_users_store_is_refused_before_its_database_is_opened_so_its_code_never_runs_here() throws Exception {
        for (List<String> command : List.of(List.of("imcheck", "-q"), List.of("impurge", "--exit-when-empty"),
                List.of("reconstruct", "user/user0001"), List.of("msconfig", "list"))) {
            List<String> args = new java.util.ArrayList<>(command);
            args.addAll(List.of("--store", store.toString()));
            Processes.Result r = processes.mstore(args.toArray(String[]::new));
            assertThat(r.exit()).as(r.describe()).isEqualTo(1);
            assertThat(r.err().lines().toList()).as(r.describe()).singleElement().asString()
                    .contains("belongs to nobody (uid 65534)").contains("run mstore as its owner");
            assertThat(marker).as("the owner's trigger ran in root's " + command.get(0)).doesNotExist();
        }
        try (Stream<Path> all = Files.walk(store)) {
            assertThat(all.filter(p -> !owner(p).equals("nobody")).toList()).as("files root made in nobody's store").isEmpty();
        }
    }

    @Test
    void init_in_another_users_directory_is_refused_and_makes_nothing_there() throws Exception {
        Path theirs = processes.openDirectory("theirs");
        Files.setOwner(theirs, theirs.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody"));
        Processes.Result r = processes.mstore("init", "--store", theirs.toString());
        assertThat(r.exit()).as(r.describe()).isEqualTo(1);
        assertThat(r.err()).as(r.describe()).contains("belongs to nobody");
        try (Stream<Path> s = Files.list(theirs)) {
            assertThat(s.toList()).isEmpty();
        }
    }

    static String owner(Path p) {
        try {
            return Files.getOwner(p, java.nio.file.LinkOption.NOFOLLOW_LINKS).getName();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
