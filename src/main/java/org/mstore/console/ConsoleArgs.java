package org.mstore.console;

import java.nio.file.Path;
import java.util.List;

/** The console's command line: {@code [--store DIR] [--read-only] [--screenshots DIR]}. */
public record ConsoleArgs(Path store, boolean readOnly, Path screenshots) {
    public static ConsoleArgs parse(List<String> args) {
        Path store = null;
        Path shots = null;
        boolean ro = false;
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            switch (a) {
                case "--store" -> {
                    if (i + 1 >= args.size()) {
                        throw new IllegalArgumentException("--store needs a directory");
                    }
                    store = Path.of(args.get(++i));
                }
                case "--read-only" -> ro = true;
                case "--screenshots" -> {
                    if (i + 1 >= args.size()) {
                        throw new IllegalArgumentException("--screenshots needs a directory");
                    }
                    shots = Path.of(args.get(++i));
                }
                default -> {
                    if (a.startsWith("--store=")) {
                        store = Path.of(a.substring(8));
                    } else if (!a.startsWith("-") && store == null) {
                        store = Path.of(a);
                    } else {
                        throw new IllegalArgumentException("unknown console option '" + a + "'; use --store DIR and --read-only");
                    }
                }
            }
        }
        return new ConsoleArgs(store, ro, shots);
    }

    /** The committed sample next to the working directory or the jar, if there is one. */
    public static Path findSample() {
        Path cwd = Path.of("sample-store");
        if (java.nio.file.Files.isDirectory(cwd)) {
            return cwd.toAbsolutePath();
        }
        try {
            Path jar = Path.of(ConsoleArgs.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            for (Path p = jar.getParent(); p != null; p = p.getParent()) {
                if (java.nio.file.Files.isDirectory(p.resolve("sample-store"))) {
                    return p.resolve("sample-store");
                }
            }
        } catch (Exception e) {
            // not run from a file
        }
        return null;
    }
}
