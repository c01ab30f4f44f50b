package org.mstore.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import org.mstore.cli.Main;

/**
 * Real child processes for the security tests: {@code mstore} commands and {@link DatabaseWorker}s as the store's
 * owner (root, as the tests run here and in CI), and programs run as the unprivileged user {@code nobody} through
 * {@code setpriv}.
 *
 * <p>Everything lives under one base directory in {@code /tmp} that everyone may traverse (mode 0755), so that
 * when {@code nobody} fails to read the store, it is the store's own modes that stop it, not a private parent such
 * as JUnit's temporary directory. What {@code nobody} runs (the H2 jar, the probe's classes) is copied to a
 * world-readable directory there. The base is removed at the end.
 */
final class Processes implements AutoCloseable {
    static final int NOBODY = 65534;
    static final Duration TIMEOUT = Duration.ofSeconds(120);

    final Path base;
    final Path tools;
    private final Path jvmTmp;
    private final List<Process> started = new ArrayList<>();

    Processes() throws IOException {
        base = Files.createTempDirectory(Path.of("/tmp"), "mstore-security-");
        Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwxr-xr-x"));
        tools = Files.createDirectory(base.resolve("tools"));
        Files.setPosixFilePermissions(tools, PosixFilePermissions.fromString("rwxr-xr-x"));
        jvmTmp = Files.createDirectory(base.resolve("jvm-tmp"));
    }

    /** True when the tests run as root, and so can act as {@code nobody}. */
    static boolean root() {
        try {
            return ((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid")) == 0;
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    /** What a finished process did. */
    record Result(List<String> command, int exit, String out, String err) {
        Result ok() {
            assertThat(exit).as(describe()).isZero();
            return this;
        }

        String describe() {
            return String.join(" ", command) + "\n  exit " + exit + "\n  stdout: " + out + "\n  stderr: " + err;
        }
    }

    /** A directory under the base that everyone may traverse (for a store whose own modes are under test). */
    Path openDirectory(String name) throws IOException {
        Path d = Files.createDirectories(base.resolve(name));
        Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwxr-xr-x"));
        return d;
    }

    /** {@code mstore <args>} as a child process of the owner. */
    Result mstore(String... args) {
        return run(java(Main.class.getName(), List.of(), args));
    }

    /** {@code mstore <args>} with extra JVM options. */
    Result mstoreWith(List<String> jvmOptions, String... args) {
        return run(java(Main.class.getName(), jvmOptions, args));
    }

    /** A {@link DatabaseWorker} in the background, as the owner; its output is read with {@link Background#out()}. */
    Background worker(String... args) throws IOException {
        return background(java(DatabaseWorker.class.getName(), List.of(), args));
    }

    private List<String> java(String main, List<String> jvmOptions, String... args) {
        List<String> cmd = new ArrayList<>(List.of(javaBinary(), "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-XX:-UsePerfData",
                "-Djava.io.tmpdir=" + jvmTmp));
        cmd.addAll(jvmOptions);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), main));
        cmd.addAll(Arrays.asList(args));
        return cmd;
    }

    static String javaBinary() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** {@code command} run as {@code nobody} (uid and gid 65534, no supplementary groups). */
    Result asNobody(String... command) {
        List<String> cmd = new ArrayList<>(List.of("setpriv", "--reuid=" + NOBODY, "--regid=" + NOBODY, "--clear-groups"));
        cmd.addAll(Arrays.asList(command));
        return run(cmd);
    }

    /** A Java program run as {@code nobody}, with the tools directory's class path (the H2 jar and the probe). */
    Result javaAsNobody(String main, String... args) {
        List<String> cmd = new ArrayList<>(List.of(javaBinary(), "-XX:-UsePerfData", "-Xshare:auto", "-Djava.io.tmpdir=/tmp",
                "-cp", tools.resolve("h2.jar") + File.pathSeparator + tools.resolve("classes"), main));
        cmd.addAll(Arrays.asList(args));
        return asNobody(cmd.toArray(String[]::new));
    }

    /** Copies the H2 jar and {@code classes} (test classes) to the world-readable tools directory. */
    void installTools(Class<?>... classes) throws IOException {
        Path h2 = Path.of(org.h2.Driver.class.getProtectionDomain().getCodeSource().getLocation().getPath());
        Files.copy(h2, tools.resolve("h2.jar"), StandardCopyOption.REPLACE_EXISTING);
        for (Class<?> c : classes) {
            String rel = c.getName().replace('.', '/') + ".class";
            try (InputStream in = c.getClassLoader().getResourceAsStream(rel)) {
                Path to = tools.resolve("classes").resolve(rel);
                Files.createDirectories(to.getParent());
                Files.copy(in, to, StandardCopyOption.REPLACE_EXISTING);
            }
        }
        Files.walkFileTree(tools, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
                return FileVisitResult.CONTINUE;
            }
        });
    }

    Result run(List<String> cmd) {
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
            pb.environment().remove("MSTORE_DEBUG");
            pb.environment().remove("MSTORE_STORE");
            Process p = pb.start();
            CompletableFuture<String> out = drain(p.getInputStream());
            CompletableFuture<String> err = drain(p.getErrorStream());
            if (!p.waitFor(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly().waitFor();
                throw new AssertionError("timed out: " + String.join(" ", cmd));
            }
            return new Result(cmd, p.exitValue(), out.join(), err.join());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    private static CompletableFuture<String> drain(InputStream in) {
        CompletableFuture<String> f = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try (in) {
                f.complete(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                f.completeExceptionally(e);
            }
        }, "security-test-output");
        t.setDaemon(true);
        t.start();
        return f;
    }

    private Background background(List<String> cmd) throws IOException {
        String stem = "bg-" + System.nanoTime();
        Path out = jvmTmp.resolve(stem + ".out");
        Path err = jvmTmp.resolve(stem + ".err");
        Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        started.add(p);
        return new Background(p, out, err);
    }

    /** A process in the background; a line on its standard input tells a {@code hold} worker to close and exit. */
    record Background(Process process, Path outFile, Path errFile) {
        String out() {
            return read(outFile);
        }

        String err() {
            return read(errFile);
        }

        void release() throws IOException {
            process.getOutputStream().write('\n');
            process.getOutputStream().flush();
        }

        /** Waits until its output holds {@code text}; fails if it exits first or after {@code TIMEOUT}. */
        void awaitOutput(String text) throws InterruptedException {
            await("output '" + text + "' of " + process.pid(), () -> {
                if (out().contains(text)) {
                    return true;
                }
                if (!process.isAlive()) {
                    throw new AssertionError("exited (" + process.exitValue() + ") before printing '" + text + "': " + out() + err());
                }
                return false;
            });
        }

        int awaitExit() throws InterruptedException {
            if (!process.waitFor(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly().waitFor();
                throw new AssertionError("did not exit: " + process.pid() + " " + out() + err());
            }
            return process.exitValue();
        }

        private static String read(Path p) {
            try {
                return Files.exists(p) ? Files.readString(p) : "";
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long end = System.nanoTime() + TIMEOUT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("gave up waiting for " + what);
            }
            Thread.sleep(20);
        }
    }

    @Override
    public void close() throws IOException, InterruptedException {
        for (Process p : started) {
            if (p.isAlive()) {
                p.destroyForcibly();
                p.waitFor(30, TimeUnit.SECONDS);
            }
        }
        if (Files.exists(base)) {
            Files.walkFileTree(base, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.delete(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
                    Files.delete(dir);
                    return FileVisitResult.CONTINUE;
                }
            });
        }
    }
}
