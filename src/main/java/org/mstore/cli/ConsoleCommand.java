package org.mstore.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

import org.mstore.console.ConsoleLauncher;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "console", mixinStandardHelpOptions = true, header = "Open the administration console.", description = {"Open the administration console (JavaFX).",
        "With no --store it opens a fresh working copy of sample-store/; the committed sample never changes."})
final class ConsoleCommand implements Callable<Integer> {
    @Option(names = "--store", paramLabel = "DIR", description = "The store to open.")
    Path store;

    @Option(names = "--read-only", description = "Browse without being able to change anything.")
    boolean readOnly;

    @Option(names = "--screenshots", paramLabel = "DIR", hidden = true)
    Path screenshots;

    @Override
    public Integer call() {
        List<String> args = new ArrayList<>();
        if (store != null) {
            args.add("--store");
            args.add(store.toString());
        }
        if (readOnly) {
            args.add("--read-only");
        }
        if (screenshots != null) {
            args.add("--screenshots");
            args.add(screenshots.toString());
        }
        ConsoleLauncher.main(args.toArray(new String[0]));
        return 0;
    }
}
