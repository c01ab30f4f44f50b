package org.mstore.engine;

import java.io.IOException;
import java.nio.file.Path;

import org.mstore.api.MessageStore;
import org.mstore.api.OpenOptions;
import org.mstore.api.Stores;

/** The engine behind {@link Stores}: registered in {@code META-INF/services/org.mstore.api.Stores$Provider}. */
public final class EngineProvider implements Stores.Provider {
    private static boolean inUse(Path copy) {
        return java.nio.file.Files.exists(copy.resolve("mboxlist").resolve("mstore.lock.db"));
    }

    @Override
    public MessageStore open(Path root, OpenOptions options) throws IOException {
        return Engine.open(root, options);
    }

    @Override
    public MessageStore init(Path root, OpenOptions options) throws IOException {
        return Engine.init(root, options);
    }

    @Override
    public MessageStore openOrInit(Path root, OpenOptions options) throws IOException {
        return Engine.openOrInit(root, options);
    }

    @Override
    public MessageStore openForRebuild(Path root, OpenOptions options) throws IOException {
        return Engine.openForRebuild(root, options);
    }

    @Override
    public MessageStore init(Path root, OpenOptions options, String backend, java.util.Map<String, String> backendOptions)
            throws IOException {
        return Engine.init(root, options, backend, backendOptions);
    }

    @Override
    public org.mstore.api.MigrationReport migrate(Path source, Path target, String backend, java.util.Map<String, String> backendOptions, boolean undecidedAsExpunged,
                                                  java.util.function.Consumer<String> progress) throws IOException {
        return Migration.run(source, target, backend, backendOptions, undecidedAsExpunged, progress);
    }

    @Override
    public boolean exists(Path root) {
        return Engine.exists(root);
    }

    @Override
    public Path bundledSample() {
        return SampleStore.bundledPath();
    }

    @Override
    public Stores.SampleCopy resolveSample(Path root, boolean fresh) throws IOException {
        // a working copy that another process has open is reused, never replaced under it
        boolean replace = fresh && !(SampleStore.isSample(root) && inUse(SampleStore.workingCopyPath(root)));
        SampleStore.Resolved r = SampleStore.resolve(root, replace);
        return new Stores.SampleCopy(r.root(), r.sample(), r.copied());
    }
}
