package org.mstore.console;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The last stores opened, newest first, kept in a small text file (one path per line). */
public final class RecentStores {
    public static final int MAX = 8;
    private final Path file;

    public RecentStores(Path file) {
        this.file = file;
    }

    /** {@code ~/.config/mstore/recent-stores} (or {@code $XDG_CONFIG_HOME/mstore/...}). */
    public static RecentStores inUserConfig() {
        String xdg = System.getenv("XDG_CONFIG_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".config");
        return new RecentStores(base.resolve("mstore").resolve("recent-stores"));
    }

    public List<Path> list() {
        try {
            if (!Files.exists(file)) {
                return List.of();
            }
            List<Path> out = new ArrayList<>();
            for (String l : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                if (!l.isBlank()) {
                    out.add(Path.of(l.strip()));
                }
            }
            return out;
        } catch (IOException | RuntimeException e) {
            return List.of();
        }
    }

    /** Puts {@code store} first; keeps at most {@link #MAX}. Failing to save is not an error. */
    public void remember(Path store) {
        Path abs = store.toAbsolutePath().normalize();
        List<Path> l = new ArrayList<>(list());
        l.remove(abs);
        l.add(0, abs);
        while (l.size() > MAX) {
            l.remove(l.size() - 1);
        }
        try {
            Files.createDirectories(file.getParent());
            Files.write(file, l.stream().map(Path::toString).toList(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            // a read-only home: the list is just not kept
        }
    }
}
