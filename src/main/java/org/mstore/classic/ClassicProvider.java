package org.mstore.classic;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;

import org.mstore.backend.Backend;
import org.mstore.backend.BackendProvider;

/** The classic store's {@link BackendProvider}: everything lives under the store's directory, nothing to configure. */
public final class ClassicProvider implements BackendProvider {
    @Override
    public String kind() {
        return ClassicBackend.KIND;
    }

    @Override
    public Map<String, String> configure(Map<String, String> options) {
        if (!options.isEmpty()) {
            throw new IllegalArgumentException("the classic store takes no backend options (got " + String.join(", ", options.keySet()) + ")");
        }
        return Map.of();
    }

    @Override
    public Backend open(Path root, Map<String, String> config, Clock clock, boolean create) throws IOException {
        if (create) {
            ClassicBackend.createLayout(root);
        }
        return ClassicBackend.open(root, clock, create);
    }
}
