package org.mstore.engine;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

import org.mstore.fs.OwnerOnly;
import org.mstore.store.ClassicStore;

/**
 * The committed sample store never changes: a store root holding the marker file {@link #MARKER} is opened
 * through a working copy in the temporary directory. The copy is made once and reused (so that a sequence
 * of commands sees its own changes) until the sample itself changes or a fresh copy is asked for.
 */
public final class SampleStore {
    public static final String MARKER = ".mstore-sample";
    private static final String SOURCE_STAMP = ".copied-from";

    private SampleStore() {
    }

    /** The sample store, zipped into the jar by the build ({@code mvn package}), for a console run from anywhere. */
    public static final String BUNDLED_RESOURCE = "sample-store.zip";

    /** Where the bundled sample is unpacked (null when the jar carries none). */
    public static Path bundledPath() {
        if (SampleStore.class.getClassLoader().getResource(BUNDLED_RESOURCE) == null) {
            return null;
        }
        String user = System.getProperty("user.name", "user").replaceAll("[^A-Za-z0-9_-]", "_");
        return Path.of(System.getProperty("java.io.tmpdir"), "mstore-" + user, "sample-bundled").toAbsolutePath().normalize();
    }

    /**
     * Unpacks the bundled sample into {@code dir} (owner-only, each message file with its time: its internal date),
     * into a temporary sibling first, renamed into place once whole.
     */
    static void unpackBundled(Path dir) throws IOException {
        OwnerOnly.privateDirectory(dir.getParent());
        Path tmp = dir.resolveSibling(dir.getFileName() + ".unpacking");
        ClassicStore.deleteRecursively(tmp);
        OwnerOnly.createDirectories(tmp);
        try (java.io.InputStream raw = SampleStore.class.getClassLoader().getResourceAsStream(BUNDLED_RESOURCE);
             java.util.zip.ZipInputStream zip = new java.util.zip.ZipInputStream(raw)) {
            for (java.util.zip.ZipEntry e; (e = zip.getNextEntry()) != null; ) {
                Path p = tmp.resolve(e.getName()).normalize();
                if (!p.startsWith(tmp)) {
                    throw new IOException("bad entry in the bundled sample: " + e.getName());
                }
                if (e.isDirectory()) {
                    OwnerOnly.createDirectories(p);
                    continue;
                }
                OwnerOnly.createDirectories(p.getParent());
                OwnerOnly.write(p, zip.readAllBytes());
                if (e.getLastModifiedTime() != null) {
                    Files.setLastModifiedTime(p, e.getLastModifiedTime());
                }
            }
        }
        if (!isSample(tmp)) {
            throw new IOException("the bundled sample has no " + MARKER);
        }
        ClassicStore.deleteRecursively(dir);
        Files.move(tmp, dir);
    }

    public static boolean isSample(Path root) {
        return Files.exists(root.resolve(MARKER));
    }

    /** Where the working copy of {@code sample} lives. */
    public static Path workingCopyPath(Path sample) {
        Path abs = sample.toAbsolutePath().normalize();
        String user = System.getProperty("user.name", "user").replaceAll("[^A-Za-z0-9_-]", "_");
        return Path.of(System.getProperty("java.io.tmpdir"), "mstore-" + user, "sample-" + hash(abs.toString()).substring(0, 12));
    }

    /** The store to open for {@code root}: itself, or the working copy of a sample (made if needed). */
    public static Resolved resolve(Path root, boolean fresh) throws IOException {
        Path abs = root.toAbsolutePath().normalize();
        if (abs.equals(bundledPath()) && !isSample(abs)) {
            unpackBundled(abs);
        }
        if (!isSample(abs)) {
            return new Resolved(abs, false, false);
        }
        Path copy = workingCopyPath(abs);
        OwnerOnly.privateDirectory(copy.getParent()); // a guessable path in a shared directory: ours, or refused
        String stamp = stamp(abs);
        boolean current = Files.exists(copy.resolve(SOURCE_STAMP)) && Files.readString(copy.resolve(SOURCE_STAMP)).equals(stamp);
        if (current && !fresh) {
            return new Resolved(copy, true, false);
        }
        ClassicStore.deleteRecursively(copy);
        copy(abs, copy);
        OwnerOnly.write(copy.resolve(SOURCE_STAMP), stamp.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        return new Resolved(copy, true, true);
    }

    /** A resolved store root; {@code copied} says a new working copy was just made. */
    public record Resolved(Path root, boolean sample, boolean copied) {
    }

    private static String stamp(Path sample) throws IOException {
        StringBuilder sb = new StringBuilder();
        Files.walkFileTree(sample, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                sb.append(sample.relativize(file)).append(':').append(attrs.size()).append(';');
                return FileVisitResult.CONTINUE;
            }
        });
        Path db = sample.resolve("mboxlist").resolve("mstore.mv.db");
        if (Files.exists(db)) {
            sb.append(hash(HexFormat.of().formatHex(Files.readAllBytes(db))));
        }
        return hash(sb.toString());
    }

    /**
     * Copies a store (the sample) to {@code to} as a store that may be changed: without the sample's marker,
     * and without H2's lock and trace files (a stale lock would point at a server that is gone). The copy is
     * owner-only: each directory is made so before anything is put in it, each file right after it is copied (with
     * its times: a message's internal date is its file's mtime).
     */
    public static void copy(Path from, Path to) throws IOException {
        Files.walkFileTree(from, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                Path d = to.resolve(from.relativize(dir).toString());
                OwnerOnly.createDirectories(d);
                OwnerOnly.restrict(d);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                String name = file.getFileName().toString();
                if (name.endsWith(".lock.db") || name.endsWith(".trace.db") || name.equals(MARKER)) {
                    return FileVisitResult.CONTINUE;
                }
                Path f = to.resolve(from.relativize(file).toString());
                Files.copy(file, f, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.COPY_ATTRIBUTES);
                OwnerOnly.restrict(f);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    private static String hash(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
