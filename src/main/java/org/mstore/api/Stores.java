package org.mstore.api;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ServiceLoader;

/** Opens stores: the one entry point of the API. The engine provides the implementation ({@link Provider}). */
public final class Stores {
    private Stores() {
    }

    /** What implements the API (found with {@link ServiceLoader}). */
    public interface Provider {
        MessageStore open(Path root, OpenOptions options) throws IOException;

        MessageStore init(Path root, OpenOptions options) throws IOException;

        MessageStore init(Path root, OpenOptions options, String backend, java.util.Map<String, String> backendOptions)
                throws IOException;

        MessageStore openForRebuild(Path root, OpenOptions options) throws IOException;

        /** {@link Stores#openOrInit}. */
        default MessageStore openOrInit(Path root, OpenOptions options) throws IOException {
            return exists(root) ? open(root, options) : init(root, options);
        }

        boolean exists(Path root);

        SampleCopy resolveSample(Path root, boolean fresh) throws IOException;

        /** Where the sample carried in the jar is unpacked when opened (null: this build carries none). */
        default Path bundledSample() {
            return null;
        }

        default MigrationReport migrate(Path source, Path target, String backend, java.util.Map<String, String> backendOptions, boolean undecidedAsExpunged,
                                        java.util.function.Consumer<String> progress) throws IOException {
            throw new UnsupportedOperationException("this engine cannot migrate stores");
        }
    }

    /**
     * A store path resolved: the committed sample store is never opened itself but through a working copy of it in the
     * temporary directory ({@code copied} when this call made a fresh copy).
     */
    public record SampleCopy(Path root, boolean sample, boolean copied) {
    }

    private static Provider provider() {
        return ServiceLoader.load(Provider.class, Stores.class.getClassLoader()).findFirst()
                .orElseThrow(() -> new IllegalStateException("no mstore engine on the class path"));
    }

    /** Opens an existing store. */
    public static MessageStore open(Path root, OpenOptions options) throws IOException {
        return provider().open(root, options);
    }

    /** Creates a new, empty store at {@code root} (which must not hold one) and opens it. */
    public static MessageStore init(Path root, OpenOptions options) throws IOException {
        return provider().init(root, options);
    }

    /**
     * Creates a new, empty store at {@code root} on a backend ({@code classic}, {@code cassandra}) with its options (a
     * Cassandra store's contact points, say), and opens it.
     */
    public static MessageStore init(Path root, OpenOptions options, String backend, java.util.Map<String, String> backendOptions)
            throws IOException {
        return provider().init(root, options, backend, backendOptions);
    }

    /**
     * Opens the store at {@code root}, or creates a new, empty classic store there when there is none. A store that
     * another process is creating is waited for, then opened: of several callers at once one creates it, and the others
     * use what it made.
     */
    public static MessageStore openOrInit(Path root, OpenOptions options) throws IOException {
        return provider().openOrInit(root, options);
    }

    /** Opens a store whose mailbox list is lost or damaged, for {@link Maintenance#rebuildMailboxList}. */
    public static MessageStore openForRebuild(Path root, OpenOptions options) throws IOException {
        return provider().openForRebuild(root, options);
    }

    /**
     * Resolves {@code root}: itself, or, for the committed sample store, its working copy ({@code fresh}: a new one,
     * unless another process has the current copy open).
     */
    /**
     * The sample store carried in the jar, for a console started where no {@code sample-store/} is found: a path that
     * {@link #resolveSample} unpacks it to on first use (null when the jar carries none).
     */
    public static Path bundledSample() {
        return provider().bundledSample();
    }

    public static SampleCopy resolveSample(Path root, boolean fresh) throws IOException {
        return provider().resolveSample(root, fresh);
    }

    /**
     * Copies the store at {@code source} (opened read-only) into a new store at {@code target} on {@code backend}:
     * mailboxes with their UID validity and next UID, every live message with its bytes, flags, internal date and UID,
     * the settings, the waiting queue entries, and the expunged messages still recoverable (as expunged and recoverable);
     * then reads every message back from both and compares them. A source that holds messages a Repair could not tell
     * expunged from live (held back, not served) is refused before anything is made, unless {@code undecidedAsExpunged}:
     * the target would carry them as expunged, and its Purge deletes expunged mail in time. {@code progress} hears a line
     * now and then.
     */
    public static MigrationReport migrate(Path source, Path target, String backend, java.util.Map<String, String> backendOptions, boolean undecidedAsExpunged,
                                          java.util.function.Consumer<String> progress) throws IOException {
        return provider().migrate(source, target, backend, backendOptions, undecidedAsExpunged, progress);
    }

    /** True when {@code root} holds a store. */
    public static boolean exists(Path root) {
        return provider().exists(root);
    }
}
