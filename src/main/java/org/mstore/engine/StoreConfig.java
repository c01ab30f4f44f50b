package org.mstore.engine;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

import org.mstore.fs.OwnerOnly;
import org.mstore.store.Durable;

/**
 * {@code <store>/store.conf}: which backend the store uses and that backend's options, written once by {@code init}
 * (owner-only). A store made before the file existed has none and is a classic store.
 */
record StoreConfig(String backend, Map<String, String> options) {
    static final String FILE = "store.conf";
    static final String BACKEND = "backend";

    static Path file(Path root) {
        return root.resolve(FILE);
    }

    static boolean exists(Path root) {
        return Files.isRegularFile(file(root));
    }

    /** The store's configuration; a store without the file is a classic store of an earlier release. */
    static StoreConfig read(Path root) throws IOException {
        Path f = file(root);
        if (!Files.exists(f)) {
            return new StoreConfig("classic", Map.of());
        }
        if (!Files.isRegularFile(f)) {
            throw new IOException(f + " is not a file; it should hold the store's configuration (backend=...)");
        }
        Properties p = new Properties();
        p.load(new StringReader(Files.readString(f, StandardCharsets.UTF_8)));
        String backend = p.getProperty(BACKEND);
        if (backend == null || backend.isBlank()) {
            throw new IOException(f + " names no backend (backend=classic or backend=cassandra)");
        }
        Map<String, String> options = new TreeMap<>();
        for (String k : p.stringPropertyNames()) {
            if (!k.equals(BACKEND)) {
                options.put(k, p.getProperty(k));
            }
        }
        return new StoreConfig(backend.strip(), options);
    }

    /** Writes the file (owner-only, aside then renamed). */
    void write(Path root) throws IOException {
        StringBuilder sb = new StringBuilder("# mstore store configuration: written by 'mstore init'; do not edit\n");
        sb.append(BACKEND).append('=').append(backend).append('\n');
        for (Map.Entry<String, String> e : new TreeMap<>(options).entrySet()) {
            StringWriter w = new StringWriter();
            Properties one = new Properties();
            one.setProperty(e.getKey(), e.getValue());
            one.store(w, null);
            w.toString().lines().filter(l -> !l.startsWith("#")).forEach(l -> sb.append(l).append('\n'));
        }
        Path tmp = root.resolve(FILE + ".tmp");
        OwnerOnly.write(tmp, sb.toString().getBytes(StandardCharsets.UTF_8));
        Durable.replace(tmp, file(root));
    }
}
