package org.mstore.cli;

import java.io.PrintWriter;
import java.util.Map;
import java.util.concurrent.Callable;

import org.mstore.api.MessageStore;
import org.mstore.api.Setting;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "msconfig", mixinStandardHelpOptions = true, header = "Read and change the store.* settings.", description = "The store.* settings: list, get OPTION, set OPTION VALUE, reset OPTION.")
final class MsconfigCommand implements Callable<Integer> {
    @Mixin
    StoreOption store;
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "list|get|set|reset")
    String verb;

    @Parameters(index = "1", arity = "0..1", paramLabel = "OPTION")
    String option;

    @Parameters(index = "2", arity = "0..1", paramLabel = "VALUE")
    String value;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        switch (verb) {
            case "list", "get", "set", "reset" -> { }
            default -> throw new IllegalArgumentException("unknown verb '" + verb + "'; use list, get, set or reset");
        }
        Setting s = null;
        if (!verb.equals("list")) {
            if (option == null) {
                throw new IllegalArgumentException(verb + " needs an OPTION; known: " + String.join(", ", Setting.keys()));
            }
            s = Setting.byKey(option);
        }
        if (verb.equals("set") && value == null) {
            throw new IllegalArgumentException("set needs a VALUE for " + option + " (" + s.allowed() + ")");
        }
        if (verb.equals("list") && option != null) {
            throw new IllegalArgumentException("list takes no OPTION; use get " + option);
        }
        if (!verb.equals("set") && value != null) {
            throw new IllegalArgumentException("unexpected value '" + value + "' for " + verb);
        }
        if (verb.equals("set")) {
            s.validate(value); // a bad value is refused before the store is even opened
        }
        try (MessageStore e = store.open("msconfig")) {
            switch (verb) {
                case "list" -> {
                    Map<Setting, String> all = e.settings().all();
                    Map<Setting, String> set = e.settings().explicit();
                    for (Setting x : Setting.values()) {
                        String v = all.get(x);
                        out.printf("%-26s %-14s %s%n", x.key(), v.isEmpty() ? "\"\"" : v, set.containsKey(x) ? "" : "(default)");
                    }
                }
                case "get" -> out.println(e.settings().get(s));
                case "set" -> out.println(s.key() + " = " + e.settings().set(s, value));
                default -> {
                    e.settings().reset(java.util.List.of(s));
                    out.println(s.key() + " = " + s.defaultValue() + " (default)");
                }
            }
        }
        return 0;
    }
}
