package org.mstore.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import java.util.zip.CRC32;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.mstore.db.Database;
import org.mstore.engine.SampleStore;

/**
 * A store of the previous release (the committed {@code sample-store/} is one: user {@code mstore} with an empty
 * password, every file 0644 and directory 0755, no {@code mboxlist/secret}) is rekeyed and restricted by its first
 * owner; the sample itself never changes, and its working copy is owner-only, in a directory that is ours or refused.
 */
class LegacyStoreUpgradeTest {
    static final Path SAMPLE = Path.of("sample-store").toAbsolutePath();
    static final Set<PosixFilePermission> FILE = PosixFilePermissions.fromString("rw-------");
    static final Set<PosixFilePermission> DIR = PosixFilePermissions.fromString("rwx------");

    Processes processes;
    TreeMap<String, String> sampleBefore;

    @BeforeEach
    void setUp() throws IOException {
        assumeTrue(Processes.root(), "acts as nobody: needs root");
        // Database sets H2's bind address before H2 loads: it must be the first to touch H2 in this JVM
        Database.exists(SAMPLE);
        processes = new Processes();
        sampleBefore = snapshot(SAMPLE);
    }

    @AfterEach
    void tearDown() throws Exception {
        if (processes != null) {
            processes.close();
            assertThat(snapshot(SAMPLE)).as("the committed sample, bytes and modes").isEqualTo(sampleBefore);
        }
    }

    @Test
    void a_store_of_the_previous_release_is_rekeyed_and_restricted_at_first_open() throws Exception {
        Path store = processes.openDirectory("legacy").resolve("store");
        copyAsThePreviousReleaseLeftIt(SAMPLE, store);
        Path mboxlist = store.resolve("mboxlist");
        assertThat(mboxlist.resolve("secret")).doesNotExist();
        assertThat(legacyCredentialsAccepted(store)).as("the previous release's user mstore, empty password").isTrue();
        Path message;
        try (Stream<Path> s = Files.walk(store.resolve("partition"))) {
            message = s.filter(p -> p.toString().endsWith(".msg")).findFirst().orElseThrow();
        }
        assertThat(processes.asNobody("cat", message.toString()).exit()).as("before: anyone reads the mail").isZero();

        List<String> listed = processes.mstore("mboxutil", "-l", "--store", store.toString()).ok().out().lines().toList();

        assertThat(listed).as("the store works").isNotEmpty();
        assertThat(mboxlist.resolve("secret")).isRegularFile();
        assertThat(Files.readString(mboxlist.resolve("secret")).strip()).hasSize(64);
        assertThat(mboxlist.resolve("secret.new")).doesNotExist();
        assertThat(mboxlist.resolve("mstore.lock.db")).doesNotExist();
        assertThat(notOwnerOnly(store)).as("every file rw-------, every directory rwx------").isEmpty();
        assertThat(legacyCredentialsAccepted(store)).as("the empty password is gone").isFalse();
        Processes.Result cat = processes.asNobody("cat", message.toString());
        assertThat(cat.err()).as(cat.describe()).contains("Permission denied");

        assertThat(processes.mstore("mboxutil", "-l", "--store", store.toString()).ok().out().lines().toList())
                .as("and opens again, with the secret").isEqualTo(listed);
    }

    @Test
    void the_working_copy_of_the_sample_is_owner_only_and_a_directory_planted_in_its_place_is_refused() throws Exception {
        Path tmp = sharedTmp("tmp");
        processes.mstoreWith(List.of("-Djava.io.tmpdir=" + tmp), "mboxutil", "-l", "--store", SAMPLE.toString()).ok();
        Path mine = tmp.resolve("mstore-" + System.getProperty("user.name"));
        assertThat(mine).isDirectory();
        assertThat(Files.getPosixFilePermissions(mine)).isEqualTo(DIR);
        try (Stream<Path> copies = Files.list(mine)) {
            Path copy = copies.filter(p -> p.getFileName().toString().startsWith("sample-")).findFirst().orElseThrow();
            assertThat(copy.resolve("mboxlist").resolve("secret")).isRegularFile();
            assertThat(notOwnerOnly(copy)).as("the working copy").isEmpty();
        }

        // another user made the directory first, in the shared temporary directory
        Path tmp2 = sharedTmp("tmp2");
        Path planted = Files.createDirectory(tmp2.resolve("mstore-" + System.getProperty("user.name")));
        Files.setPosixFilePermissions(planted, PosixFilePermissions.fromString("rwxrwxrwx"));
        UserPrincipal nobody = planted.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody");
        Files.setOwner(planted, nobody);
        Processes.Result r = processes.mstoreWith(List.of("-Djava.io.tmpdir=" + tmp2), "mboxutil", "-l", "--store", SAMPLE.toString());
        assertThat(r.exit()).as(r.describe()).isEqualTo(1);
        assertThat(r.err().lines().toList()).as(r.describe()).hasSize(1);
        assertThat(r.err()).contains("refusing " + planted).contains("owned by nobody");
        try (Stream<Path> s = Files.list(planted)) {
            assertThat(s.toList()).as("nothing was put in it").isEmpty();
        }
    }

    /** A directory like /tmp: everyone may create in it (sticky). */
    Path sharedTmp(String name) throws IOException {
        Path d = processes.openDirectory(name);
        Files.setAttribute(d, "unix:mode", 01777);
        return d;
    }

    /**
     * Whether H2 lets user {@code mstore} with an empty password in: H2's own Shell, in a process of its own
     * (read-only, no lock file, no trace file), as an administrator of the previous release would have used it.
     */
    boolean legacyCredentialsAccepted(Path store) {
        String url = "jdbc:h2:file:" + store.resolve("mboxlist").resolve("mstore") + ";IFEXISTS=TRUE;FILE_LOCK=FS;ACCESS_MODE_DATA=r;TRACE_LEVEL_FILE=0";
        Processes.Result r = processes.run(List.of(Processes.javaBinary(), "-XX:-UsePerfData", "-cp", h2Jar(), "org.h2.tools.Shell",
                "-url", url, "-user", "mstore", "-password", "", "-sql", "SELECT COUNT(*) FROM mailbox"));
        if (r.exit() == 0) {
            return true;
        }
        assertThat(r.out() + r.err()).as(r.describe()).contains("Wrong user name or password");
        return false;
    }

    static String h2Jar() {
        return org.h2.Driver.class.getProtectionDomain().getCodeSource().getLocation().getPath();
    }

    /** A copy with the modes a umask of 022 gives: what the previous release left on disk. */
    static void copyAsThePreviousReleaseLeftIt(Path from, Path to) throws IOException {
        Files.walkFileTree(from, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                Path d = Files.createDirectories(to.resolve(from.relativize(dir).toString()));
                Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwxr-xr-x"));
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                if (!file.getFileName().toString().equals(SampleStore.MARKER)) {
                    Path f = to.resolve(from.relativize(file).toString());
                    Files.copy(file, f, StandardCopyOption.COPY_ATTRIBUTES);
                    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r--r--"));
                }
                return FileVisitResult.CONTINUE;
            }
        });
    }

    static List<String> notOwnerOnly(Path root) throws IOException {
        List<String> out = new ArrayList<>();
        try (Stream<Path> all = Files.walk(root)) {
            for (Path p : (Iterable<Path>) all::iterator) {
                Set<PosixFilePermission> mode = Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS);
                if (!mode.equals(Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS) ? DIR : FILE)) {
                    out.add(root.relativize(p) + " " + PosixFilePermissions.toString(mode));
                }
            }
        }
        return out;
    }

    /** Path, size, checksum and mode of everything under {@code root}. */
    static TreeMap<String, String> snapshot(Path root) throws IOException {
        TreeMap<String, String> out = new TreeMap<>();
        try (Stream<Path> all = Files.walk(root)) {
            for (Path p : (Iterable<Path>) all::iterator) {
                String mode = PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
                if (Files.isDirectory(p)) {
                    out.put(root.relativize(p) + "/", mode);
                } else {
                    CRC32 crc = new CRC32();
                    crc.update(Files.readAllBytes(p));
                    out.put(root.relativize(p).toString(), Files.size(p) + " " + Long.toHexString(crc.getValue()) + " " + mode);
                }
            }
        }
        return out;
    }
}
