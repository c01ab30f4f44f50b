package org.mstore.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;

/**
 * Runs the command line as a real child process, the way an administrator would:
 * {@code java -cp <class path> org.mstore.cli.Main <args>}, with its own JVM, its own pid and its own H2
 * connection. Standard output, standard error and the exit status come back in a {@link Result}.
 *
 * <p>Every JVM gets {@code java.io.tmpdir} inside the test's temporary directory and no perf-data file, so
 * that nothing is left outside it, even by a process that is killed.
 *
 * <p>Start-up time is most of a command's time, so the children share a class-data archive (AppCDS): the
 * main classes are packed into a jar in the temporary directory (an archive cannot hold classes from a
 * directory), the first command run dumps the archive at its exit, and the following ones map it. If any of
 * that fails, commands simply run without it.
 */
final class Cli {
    static final Duration TIMEOUT = Duration.ofSeconds(90);
    private static final List<String> JVM_OPTIONS = List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-XX:-UsePerfData",
            "-Dfile.encoding=UTF-8");
    /** CDS reports (classes it cannot archive, an archive it cannot map) are not the command's output. */
    private static final String QUIET_CDS = "-Xlog:cds*=off";

    private final Path tmp;
    private final String classPath;
    private final Path archive;
    private boolean archiveTried;
    private volatile boolean archiveReady;

    /** Child processes keep their temporary files in {@code testDir/jvm-tmp}. */
    Cli(Path testDir) {
        this.tmp = testDir.resolve("jvm-tmp");
        try {
            Files.createDirectories(tmp);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String jarred = jarredClassPath(tmp);
        this.classPath = jarred != null ? jarred : System.getProperty("java.class.path");
        this.archive = jarred != null ? tmp.resolve("mstore.jsa") : null;
    }

    /**
     * The test class path with the main classes directory replaced by a jar of it and the test classes left
     * out (the command line never needs them); null if that cannot be done.
     */
    private static String jarredClassPath(Path tmp) {
        try {
            Path classes = Path.of(Main.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            if (!Files.isDirectory(classes)) {
                return null;
            }
            Path jar = tmp.resolve("mstore-classes.jar");
            try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar)); Stream<Path> files = Files.walk(classes)) {
                for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile).sorted()::iterator) {
                    out.putNextEntry(new JarEntry(classes.relativize(f).toString().replace(File.separatorChar, '/')));
                    Files.copy(f, out);
                    out.closeEntry();
                }
            }
            List<String> cp = new ArrayList<>(List.of(jar.toString()));
            for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
                if (!e.isEmpty() && !Files.isDirectory(Path.of(e))) {
                    cp.add(e);
                }
            }
            return String.join(File.pathSeparator, cp);
        } catch (IOException | URISyntaxException | RuntimeException e) {
            return null;
        }
    }

    /** Options that map the archive, once it exists. */
    private List<String> mapArchive() {
        return archiveReady ? List.of(QUIET_CDS, "-XX:SharedArchiveFile=" + archive) : List.of();
    }

    /** Options that dump the archive at exit: for the first command only (the others wait until it is written). */
    private synchronized List<String> dumpArchive() {
        if (archive == null || archiveTried) {
            return null;
        }
        archiveTried = true;
        return List.of(QUIET_CDS, "-XX:ArchiveClassesAtExit=" + archive);
    }

    /** What a finished command did. */
    record Result(List<String> command, int exit, String out, String err, long millis) {
        List<String> outLines() {
            return lines(out);
        }

        List<String> errLines() {
            return lines(err);
        }

        private static List<String> lines(String s) {
            if (s.isEmpty()) {
                return List.of();
            }
            List<String> l = new ArrayList<>(Arrays.asList(s.split("\r?\n", -1)));
            if (l.get(l.size() - 1).isEmpty()) {
                l.remove(l.size() - 1);
            }
            return l;
        }

        /** Exit 0 and nothing on standard error. */
        Result ok() {
            assertThat(exit).as(describe()).isZero();
            assertThat(err).as(describe()).isEmpty();
            return this;
        }

        /** The contract for every failure: the given status, exactly one line on standard error, nothing on standard output. */
        Result failsWith(int status, String... errContains) {
            assertThat(exit).as(describe()).isEqualTo(status);
            assertThat(errLines()).as(describe()).hasSize(1);
            assertThat(err.strip()).as(describe()).isNotBlank();
            for (String s : errContains) {
                assertThat(err).as(describe()).contains(s);
            }
            assertThat(out).as(describe()).isEmpty();
            return this;
        }

        String describe() {
            return String.join(" ", command) + "\n  exit " + exit + "\n  stdout: " + out.replace("\n", "\n          ")
                    + "\n  stderr: " + err.replace("\n", "\n          ");
        }
    }

    /** Runs {@code mstore <args>} and waits for it. */
    Result run(String... args) {
        return run(Arrays.asList(args));
    }

    /** Runs {@code mstore <args> --store <store>}. */
    Result on(Path store, String... args) {
        List<String> a = new ArrayList<>(Arrays.asList(args));
        a.add("--store");
        a.add(store.toString());
        return run(a);
    }

    /** Runs {@code mstore <args> --store <store>} with {@code input} on its standard input (a password). */
    Result withInput(String input, Path store, String... args) {
        List<String> a = new ArrayList<>(Arrays.asList(args));
        a.add("--store");
        a.add(store.toString());
        Path in = tmp.resolve("stdin-" + System.nanoTime());
        try {
            Files.writeString(in, input);
            ProcessBuilder pb = builder(a, mapArchive()).redirectInput(in.toFile());
            return await(pb.start(), a);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            try {
                Files.deleteIfExists(in);
            } catch (IOException ignored) {
                // the test directory goes anyway
            }
        }
    }

    /**
     * Runs {@code mstore <args> --store <store>} with extra JVM options before the main class (system properties such
     * as {@code -Dmstore.crashpoint=NAME}).
     */
    Result withJvm(List<String> jvmOptions, Path store, String... args) {
        List<String> a = new ArrayList<>(Arrays.asList(args));
        a.add("--store");
        a.add(store.toString());
        List<String> opts = new ArrayList<>(mapArchive());
        opts.addAll(jvmOptions);
        return await(start(a, opts), a);
    }

    Result run(List<String> args) {
        List<String> dump = dumpArchive();
        Process p = start(args, dump != null ? dump : mapArchive());
        try {
            return await(p, args);
        } finally {
            if (dump != null && Files.isRegularFile(archive)) {
                archiveReady = true;
            }
        }
    }

    private Result await(Process p, List<String> args) {
        try {
            CompletableFuture<byte[]> out = drain(p.getInputStream());
            CompletableFuture<byte[]> err = drain(p.getErrorStream());
            long t0 = System.nanoTime();
            if (!p.waitFor(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly().waitFor();
                throw new AssertionError("timed out after " + TIMEOUT.toSeconds() + " s: mstore " + String.join(" ", args));
            }
            long ms = (System.nanoTime() - t0) / 1_000_000;
            return new Result(args, p.exitValue(), new String(out.join(), StandardCharsets.UTF_8),
                    new String(err.join(), StandardCharsets.UTF_8), ms);
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    /** Starts {@code mstore <args> --store <store>} in the background; its output goes to files beside the JVM's tmp. */
    Background background(Path store, String... args) {
        List<String> a = new ArrayList<>(Arrays.asList(args));
        a.add("--store");
        a.add(store.toString());
        String stem = "bg-" + System.nanoTime();
        Path out = tmp.resolve(stem + ".out");
        Path err = tmp.resolve(stem + ".err");
        ProcessBuilder pb = builder(a, mapArchive()).redirectOutput(out.toFile()).redirectError(err.toFile());
        try {
            return new Background(a, pb.start(), out, err);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A command running in the background (the impurge daemon). */
    record Background(List<String> command, Process process, Path outFile, Path errFile) implements AutoCloseable {
        long pid() {
            return process.pid();
        }

        String out() {
            return read(outFile);
        }

        String err() {
            return read(errFile);
        }

        /** Ends it as {@code kill} would (SIGTERM: shutdown hooks run) and returns its exit status. */
        int terminate() throws InterruptedException {
            process.destroy();
            return awaitExit();
        }

        /** Ends it as a crash would (SIGKILL: nothing runs) and returns its exit status. */
        int crash() throws InterruptedException {
            process.destroyForcibly();
            return awaitExit();
        }

        private int awaitExit() throws InterruptedException {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
                throw new AssertionError("did not exit within 30 s: " + String.join(" ", command));
            }
            return process.exitValue();
        }

        @Override
        public void close() throws InterruptedException {
            if (process.isAlive()) {
                process.destroyForcibly();
                process.waitFor(30, TimeUnit.SECONDS);
            }
        }

        private static String read(Path p) {
            try {
                return Files.exists(p) ? Files.readString(p) : "";
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    private Process start(List<String> args, List<String> cds) {
        try {
            Process p = builder(args, cds).start();
            p.getOutputStream().close();
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private ProcessBuilder builder(List<String> args, List<String> cds) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(JVM_OPTIONS);
        cmd.addAll(cds);
        cmd.add("-Djava.io.tmpdir=" + tmp);
        cmd.add("-cp");
        cmd.add(classPath);
        cmd.add(Main.class.getName());
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(tmp.toFile()).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        pb.environment().remove("MSTORE_STORE");
        pb.environment().remove("MSTORE_DEBUG");
        return pb;
    }

    /** Readers of the children's output: threads of their own, never the common pool, which may have just one. */
    private static final ExecutorService READERS = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "cli-output-reader");
        t.setDaemon(true);
        return t;
    });

    private static CompletableFuture<byte[]> drain(InputStream in) {
        return CompletableFuture.supplyAsync(() -> {
            try (in) {
                return in.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, READERS);
    }

    /** Waits (polling every 50 ms) until {@code condition} holds; fails after {@code max}. */
    static void await(String what, Duration max, BooleanSupplier condition) throws InterruptedException {
        long end = System.nanoTime() + max.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("gave up after " + max.toSeconds() + " s waiting for " + what);
            }
            Thread.sleep(50);
        }
    }
}
