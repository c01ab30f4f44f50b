package org.mstore.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

import org.mstore.api.MessageStore;
import org.mstore.tools.Simulator;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "simulate", mixinStandardHelpOptions = true, header = "Simulate users appending, deleting and expunging.", description = "Users appending, deleting and expunging at random, R operations a second for T seconds.")
final class SimulateCommand implements Callable<Integer> {
    @Mixin
    StoreOption store;
    @Spec
    CommandSpec spec;

    @Option(names = "--rate", defaultValue = "20", paramLabel = "R", description = "Operations per second (default ${DEFAULT-VALUE}).")
    double rate;
    @Option(names = "--seconds", defaultValue = "60", paramLabel = "T", description = "How long (default ${DEFAULT-VALUE}).")
    double seconds;
    @Option(names = "--seed", defaultValue = "7", paramLabel = "S")
    long seed;

    @Override
    public Integer call() throws Exception {
        if (!(rate > 0 && rate <= 10_000) || !(seconds > 0 && seconds <= 86_400)) {
            throw new IllegalArgumentException("out of range: --rate must be in (0, 10000], --seconds in (0, 86400]");
        }
        PrintWriter out = spec.commandLine().getOut();
        try (MessageStore e = store.open("simulate")) {
            Simulator.Stats s = new Simulator(e, seed).run(rate, seconds, st -> {
                out.println("simulate: " + st + "; queue " + e.queue().count());
                out.flush();
            });
            out.println("simulate: done: " + s + "; queue " + e.queue().count());
        }
        return 0;
    }
}
