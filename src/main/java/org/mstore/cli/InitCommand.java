package org.mstore.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;

import org.mstore.api.MessageStore;
import org.mstore.api.OpenOptions;
import org.mstore.api.Stores;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(name = "init", mixinStandardHelpOptions = true, header = "Create an empty store.", description = "Create an empty store.")
final class InitCommand implements Callable<Integer> {
    @Mixin
    StoreOption store;
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        Path root = store.store;
        if (root != null && root.toString().isBlank()) {
            throw new IllegalArgumentException("--store needs a directory, not an empty string");
        }
        if (root == null) {
            String env = System.getenv("MSTORE_STORE");
            if (env == null || env.isBlank()) {
                throw new IllegalArgumentException("init needs --store DIR (or MSTORE_STORE)");
            }
            root = Path.of(env);
        }
        try (MessageStore e = Stores.init(root, OpenOptions.cli("init"))) {
            spec.commandLine().getOut().println("created store " + e.info().root());
        }
        return 0;
    }
}
