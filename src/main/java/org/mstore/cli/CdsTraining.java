package org.mstore.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

/**
 * Build step ({@code mvn package}): runs the everyday commands once, in one JVM, on a scratch store, so that the JVM
 * started with {@code -XX:ArchiveClassesAtExit=target/mstore.jsa} writes a class-data archive of every class they
 * load (AppCDS); then writes {@code target/mstore}, the launcher that maps it. A command's start-up is then mostly
 * mapping, not loading and verifying a few thousand classes. The training changes nothing outside its scratch
 * directory, and any failure only means commands start without the archive.
 */
public final class CdsTraining {
    private CdsTraining() {
    }

    public static void main(String[] args) throws IOException {
        Path target = Path.of(args[0]).toAbsolutePath().normalize();
        Path scratch = target.resolve("cds-training");
        deleteTree(scratch);
        Files.createDirectories(scratch);
        String store = scratch.resolve("store").toString();
        Path msg = scratch.resolve("m.eml");
        Files.writeString(msg, "From: a@example.org\r\nTo: b@example.org\r\nSubject: training\r\nDate: Wed, 2 Dec 2026 10:00:00 +0000\r\n"
                + "Message-ID: <t@example.org>\r\n\r\nbody\r\n", StandardCharsets.UTF_8);
        List<String[]> commands = new ArrayList<>();
        commands.add(new String[] {"--version"});
        commands.add(new String[] {"--help"});
        commands.add(new String[] {"init", "--store", store});
        commands.add(new String[] {"mboxutil", "-c", "user/train", "--store", store});
        commands.add(new String[] {"client", "append", "user/train", msg.toString(), msg.toString(), "--store", store});
        commands.add(new String[] {"client", "delete", "user/train", "1", "--store", store});
        commands.add(new String[] {"client", "expunge", "user/train", "--store", store});
        commands.add(new String[] {"client", "fetch", "user/train", "2", "--store", store});
        commands.add(new String[] {"mboxutil", "-l", "--store", store});
        commands.add(new String[] {"imcheck", "-q", "--store", store});
        commands.add(new String[] {"imcheck", "-m", "user/train", "--store", store});
        commands.add(new String[] {"msconfig", "list", "--store", store});
        commands.add(new String[] {"msconfig", "set", "store.cleanupsize", "0", "--store", store});
        commands.add(new String[] {"impurge", "--exit-when-empty", "--store", store});
        commands.add(new String[] {"reconstruct", "user/train", "--store", store});
        commands.add(new String[] {"reconstruct", "-n", "user/train", "--store", store});
        int failed = 0;
        for (String[] c : commands) {
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            if (Main.run(c, new PrintWriter(out), new PrintWriter(err)) != 0) {
                failed++;
                System.err.println("cds training: mstore " + String.join(" ", c) + ": " + err.toString().strip());
            }
        }
        deleteTree(scratch);
        writeLauncher(target);
        System.out.println("cds training: " + commands.size() + " commands run, " + failed + " failed; launcher " + target.resolve("mstore"));
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var files = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) files.sorted(java.util.Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** {@code target/mstore}: java with the archive (when it maps; silently without it otherwise) and the jar beside it. */
    static void writeLauncher(Path target) throws IOException {
        String script = """
                #!/bin/sh
                # mstore: the command line, started with the class-data archive made at build time (mvn package).
                # JAVA picks the java to run (default: java on the PATH); MSTORE_JAVA_OPTS adds options, after ours (a later
                # -Xmx wins: MSTORE_JAVA_OPTS=-Xmx2g mstore imapd ...).
                here=$(cd "$(dirname "$0")" && pwd)
                cds=""
                if [ -f "$here/mstore.jsa" ]; then
                  cds="-XX:SharedArchiveFile=$here/mstore.jsa -Xlog:cds=off -Xlog:cds+dynamic=off"
                fi
                # short commands start faster with the quick compiler alone; servers and long runs keep the full one
                case "$1" in
                  console) quick="-Xmx512m" ;;  # the console's heap is capped: a million queue entries fit in it
                  impurge)  # its one-shot options are short commands; draining is a long run
                    case " $* " in
                      *" --status "*|*" --pause"*|*" --resume"*|*" --retry"*|*" --discard"*|*" --help "*|*" -h "*)
                        quick="-XX:TieredStopAtLevel=1 -XX:+UseSerialGC" ;;
                      *) quick="-Xmx1g" ;;  # the daemon runs for months too (a million queue entries fit in 512 MB)
                    esac ;;
                  imapd|lmtpd) quick="-Xmx1g" ;;  # servers run for months: their heap is capped, not a quarter of the RAM
                  bench|imapbench|simulate|generate|cassandra|migrate) quick="" ;;
                  *) quick="-XX:TieredStopAtLevel=1 -XX:+UseSerialGC" ;;
                esac
                exec "${JAVA:-java}" $cds $quick -XX:-UsePerfData $MSTORE_JAVA_OPTS -jar "$here/mstore.jar" "$@"
                """;
        Path launcher = target.resolve("mstore");
        Files.writeString(launcher, script, StandardCharsets.UTF_8);
        try {
            Files.setPosixFilePermissions(launcher, PosixFilePermissions.fromString("rwxr-xr-x"));
        } catch (UnsupportedOperationException e) {
            // not a POSIX file system: run it with sh
        }
    }
}
