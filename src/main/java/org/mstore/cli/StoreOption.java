package org.mstore.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;

import org.mstore.api.MessageStore;
import org.mstore.api.OpenOptions;
import org.mstore.api.Stores;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** The {@code --store DIR} option every command takes (default: {@code $MSTORE_STORE}). */
public class StoreOption {
    @Spec(Spec.Target.MIXEE)
    CommandSpec spec;

    @Option(names = "--store", paramLabel = "DIR", description = "The store root (default: $MSTORE_STORE).")
    Path store;

    @Option(names = "--fresh-sample", description = "With the committed sample store: start again from a fresh working copy.")
    boolean freshSample;

    /** The store directory to use, resolved through the sample's working copy. */
    Path root() throws IOException {
        Path p = store;
        if (p != null && p.toString().isBlank()) {
            throw new IllegalArgumentException("--store needs a directory, not an empty string");
        }
        if (p == null) {
            String env = System.getenv("MSTORE_STORE");
            if (env == null || env.isBlank()) {
                throw new IllegalArgumentException("no store given: use --store DIR (or set MSTORE_STORE)");
            }
            p = Path.of(env);
        }
        Stores.SampleCopy r = Stores.resolveSample(p, freshSample);
        if (r.copied()) {
            PrintWriter err = spec.commandLine().getErr();
            err.println("note: " + p + " is the read-only sample; working on a copy at " + r.root());
            err.flush();
        }
        return r.root();
    }

    MessageStore open(String process) throws IOException {
        return Stores.open(root(), OpenOptions.cli(process));
    }
}
