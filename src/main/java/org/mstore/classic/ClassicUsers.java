package org.mstore.classic;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;

import org.mstore.backend.UserStore;
import org.mstore.db.Database;
import org.mstore.fs.OwnerOnly;
import org.mstore.store.Durable;

/**
 * The classic store's mail users: credentials in {@code <store>/passwd}, an owner-only text file beside the database
 * (so that a damaged or rebuilt database loses no login), one line per user,
 *
 * <pre>name:credential:created:passwordChanged</pre>
 *
 * rewritten aside and renamed under a file lock ({@code passwd.lck}) that serialises writers across processes.
 * Subscriptions live in the database ({@code subscription}, migration V3).
 */
final class ClassicUsers implements UserStore {
    static final String FILE = "passwd";
    private final Path file;
    private final Path lockFile;
    private final Database db;

    ClassicUsers(Path root, Database db) {
        this.file = root.resolve(FILE);
        this.lockFile = root.resolve(FILE + ".lck");
        this.db = db;
    }

    private TreeMap<String, StoredUser> read() {
        TreeMap<String, StoredUser> out = new TreeMap<>();
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
        for (String line : lines) {
            String[] f = line.split(":", -1);
            if (line.isBlank() || line.startsWith("#") || f.length != 4) {
                continue;
            }
            try {
                out.put(f[0], new StoredUser(f[0], f[1], Long.parseLong(f[2]), Long.parseLong(f[3])));
            } catch (NumberFormatException e) {
                // a damaged line: that user cannot log in until an administrator sets the password again
            }
        }
        return out;
    }

    /** A change of the file: read, change, write aside, force, rename, all under the lock. */
    private <T> T change(java.util.function.Function<TreeMap<String, StoredUser>, T> edit, java.util.function.Predicate<T> write) {
        synchronized (this) {
            try (FileChannel ch = OwnerOnly.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                 FileLock ignored = ch.lock()) {
                TreeMap<String, StoredUser> users = read();
                T result = edit.apply(users);
                if (write.test(result)) {
                    StringBuilder sb = new StringBuilder("# mstore mail users: name:credential:created:passwordChanged\n");
                    for (StoredUser u : users.values()) {
                        sb.append(u.name()).append(':').append(u.credential()).append(':').append(u.created()).append(':')
                                .append(u.passwordChanged()).append('\n');
                    }
                    Path tmp = file.resolveSibling(FILE + ".tmp");
                    OwnerOnly.write(tmp, sb.toString().getBytes(StandardCharsets.UTF_8));
                    Durable.replace(tmp, file);
                }
                return result;
            } catch (IOException e) {
                throw new UncheckedIOException("cannot update " + file + ": " + e.getMessage(), e);
            }
        }
    }

    @Override
    public List<StoredUser> list() {
        return new ArrayList<>(read().values());
    }

    @Override
    public Optional<StoredUser> get(String name) {
        return Optional.ofNullable(read().get(name));
    }

    @Override
    public boolean insert(StoredUser user) {
        return change(users -> users.putIfAbsent(user.name(), user) == null, b -> b);
    }

    @Override
    public boolean updateCredential(String name, String credential, long when) {
        return change(users -> {
            StoredUser u = users.get(name);
            if (u == null) {
                return false;
            }
            users.put(name, new StoredUser(name, credential, u.created(), when));
            return true;
        }, b -> b);
    }

    @Override
    public boolean delete(String name) {
        boolean removed = change(users -> users.remove(name) != null, b -> b);
        if (removed) {
            db.idempotent(c -> {
                try (PreparedStatement p = c.prepareStatement("DELETE FROM subscription WHERE user_name = ?")) {
                    p.setString(1, name);
                    return p.executeUpdate();
                }
            });
        }
        return removed;
    }

    @Override
    public List<String> subscriptions(String user) {
        return db.read(c -> {
            try (PreparedStatement p = c.prepareStatement("SELECT mailbox FROM subscription WHERE user_name = ? ORDER BY mailbox")) {
                p.setString(1, user);
                List<String> out = new ArrayList<>();
                try (ResultSet rs = p.executeQuery()) {
                    while (rs.next()) {
                        out.add(rs.getString(1));
                    }
                }
                return out;
            }
        });
    }

    @Override
    public void subscribe(String user, String mailbox) {
        db.idempotent(c -> {
            try (PreparedStatement p = c.prepareStatement("MERGE INTO subscription(user_name, mailbox) KEY(user_name, mailbox) VALUES (?, ?)")) {
                p.setString(1, user);
                p.setString(2, mailbox);
                return p.executeUpdate();
            }
        });
    }

    @Override
    public void unsubscribe(String user, String mailbox) {
        db.idempotent(c -> {
            try (PreparedStatement p = c.prepareStatement("DELETE FROM subscription WHERE user_name = ? AND mailbox = ?")) {
                p.setString(1, user);
                p.setString(2, mailbox);
                return p.executeUpdate();
            }
        });
    }
}
