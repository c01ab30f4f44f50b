package org.mstore.store;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

import org.mstore.api.InvalidMailboxNameException;
import org.mstore.api.MailboxName;
import org.mstore.fs.CrashPoint;

/**
 * The layout of a store root on disk: {@code partition/<name>/} trees of mailbox directories.
 * Knows paths, not contents; {@link Mailbox} reads and writes what is inside a mailbox directory.
 */
public final class ClassicStore {
    public static final String PARTITIONS = "partition";
    public static final String DEFAULT_PARTITION = "primary";
    /** The prefix of a mailbox tree renamed aside to be deleted. */
    static final String DELETED = ".deleted-";
    private static final Pattern PARTITION_NAME = Pattern.compile("[a-z0-9][a-z0-9_-]{0,31}");

    private final Path root;

    public ClassicStore(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    public Path root() {
        return root;
    }

    public static void validatePartition(String partition) {
        if (partition == null || !PARTITION_NAME.matcher(partition).matches()) {
            throw new IllegalArgumentException("invalid partition name '" + partition
                    + "': use 1 to 32 lower-case letters, digits, '-' or '_'");
        }
    }

    public Path partitionRoot(String partition) {
        validatePartition(partition);
        return root.resolve(PARTITIONS).resolve(partition);
    }

    /** The mailbox's directory; always inside the partition (the name was validated). */
    public Path mailboxDir(String partition, MailboxName name) {
        Path base = partitionRoot(partition);
        Path dir = base.resolve(name.relativeDir()).normalize();
        if (!dir.startsWith(base)) {
            throw new InvalidMailboxNameException(name.toString(), "resolves outside the partition");
        }
        return dir;
    }

    /** Partitions present on disk. */
    public List<String> partitions() throws IOException {
        List<String> out = new ArrayList<>();
        Path p = root.resolve(PARTITIONS);
        if (!Files.isDirectory(p)) {
            return out;
        }
        try (var ds = Files.newDirectoryStream(p, Files::isDirectory)) {
            for (Path d : ds) {
                String n = d.getFileName().toString();
                if (PARTITION_NAME.matcher(n).matches()) {
                    out.add(n);
                }
            }
        }
        out.sort(null);
        return out;
    }

    /** A mailbox directory found by {@link #scan}. */
    public record Found(String partition, MailboxName name, Path dir) {
    }

    /**
     * Walks every partition for mailbox directories (those holding a {@code store.idx}, a cache or message
     * buckets): what rebuilding a lost mboxlist starts from.
     */
    public List<Found> scan() throws IOException {
        List<Found> out = new ArrayList<>();
        for (String partition : partitions()) {
            Path base = partitionRoot(partition);
            Files.walkFileTree(base, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                    if (dir.equals(base)) {
                        return FileVisitResult.CONTINUE;
                    }
                    if (dir.getFileName().toString().startsWith(DELETED)) {
                        return FileVisitResult.SKIP_SUBTREE; // a deletion that a crash interrupted
                    }
                    String rel = base.relativize(dir).toString();
                    MailboxName name = MailboxName.fromRelativeDir(rel);
                    if (name != null && looksLikeMailbox(dir)) {
                        out.add(new Found(partition, name, dir));
                    }
                    String leaf = dir.getFileName().toString();
                    return leaf.matches("[0-9a-f]{2}") && name == null && rel.split("/").length > 3
                            ? FileVisitResult.SKIP_SUBTREE : FileVisitResult.CONTINUE;
                }
            });
        }
        out.sort((a, b) -> a.name().compareTo(b.name()));
        return out;
    }

    private static boolean looksLikeMailbox(Path dir) {
        return Files.exists(dir.resolve(MailboxIndex.FILE)) || Files.exists(dir.resolve(CacheFile.FILE))
                || Files.exists(dir.resolve(MailboxLocks.LOCK_FILE));
    }

    /**
     * Deletes a mailbox directory and everything below it (its sub-folders too): renamed aside first, so
     * that a crash half-way never leaves a half-deleted mailbox under the live name. Trees that an earlier deletion
     * renamed aside in the same parent and left behind (a crash) are deleted too.
     */
    public void deleteTree(Path dir) throws IOException {
        Path parent = dir.toAbsolutePath().getParent();
        if (Files.exists(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            Path aside = dir.resolveSibling(DELETED + dir.getFileName() + "-" + System.nanoTime());
            Durable.replace(dir, aside);
            CrashPoint.hit("deletetree.after-rename");
            deleteRecursively(aside);
            CrashPoint.hit("deletetree.after-delete");
        }
        if (parent != null && Files.isDirectory(parent)) {
            List<Path> leftovers = new ArrayList<>();
            try (var ds = Files.newDirectoryStream(parent, DELETED + "*")) {
                ds.forEach(leftovers::add);
            }
            for (Path p : leftovers) {
                deleteRecursively(p);
            }
        }
    }

    public static void deleteRecursively(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        Files.walkFileTree(p, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.deleteIfExists(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException exc) throws IOException {
                if (exc instanceof NoSuchFileException) {
                    return FileVisitResult.CONTINUE;
                }
                throw exc;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
                Files.deleteIfExists(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
