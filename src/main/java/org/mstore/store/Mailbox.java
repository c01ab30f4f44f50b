package org.mstore.store;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32C;

import org.mstore.api.Flags;
import org.mstore.api.MailboxFormatException;
import org.mstore.api.MailboxName;
import org.mstore.api.MessageSummary;
import org.mstore.api.NoSuchMessageException;
import org.mstore.api.UidSet;
import org.mstore.fs.CrashPoint;
import org.mstore.fs.OwnerOnly;

/**
 * One mailbox directory, opened and locked: its {@code store.idx}, {@code store.cache},
 * {@code store.exp} and message files. Every method that changes the mailbox leaves it consistent
 * on disk if the process dies at any point (see {@code docs/store-format.md}, "Crash safety"), and every damage
 * it meets is a {@link MailboxFormatException} with a one-line message that names the file: never a raw I/O error,
 * never altered bytes served as a message.
 *
 * <p>Time never comes from a clock here: callers pass the instants and the cleanup stamps.
 */
public final class Mailbox implements Closeable {
    public static final Duration LOCK_TIMEOUT = Duration.ofSeconds(30);
    static final String IDX_NEW = MailboxIndex.FILE + ".new";
    static final String IDX_TMP = MailboxIndex.FILE + ".tmp";
    static final String CACHE_NEW = CacheFile.FILE + ".new";
    static final String EXP_NEW = ExpungeFile.FILE + ".new";
    static final String EXP_PREFIX = ExpungeFile.FILE + ".";
    /** Where Repair puts message files whose bytes are damaged: never served, never deleted by the store. */
    public static final String QUARANTINE = "quarantine";
    /** The start of a message that its summary is parsed from (the same on append and on repair). */
    private static final int HEAD_BYTES = 64 * 1024;
    /**
     * Threads that list and read message files in a Repair or a full check: many more than cores, so that a cold
     * disk has many reads in flight (a cold-cache repair of 200,000 messages took 12-14 s on 2 threads, 7 s on 32);
     * on a warm page cache the extra threads cost next to nothing.
     */
    static final int REPAIR_THREADS = Math.max(8, Math.min(64, 16 * Runtime.getRuntime().availableProcessors()));
    /** Message files per pool task in a Repair. */
    private static final int SCAN_CHUNK = 256;
    private static final Pattern QUARANTINED = Pattern.compile("(\\d{1,10})\\.(\\d{1,19})\\.(size|checksum|unreadable|undecided)\\.msg");

    private final MailboxName name;
    private final Path dir;
    private final MailboxLocks.Lock lock;
    private final MailboxIndex index;
    private CacheFile cache;
    private final Set<String> knownDirs = new HashSet<>();

    private Mailbox(MailboxName name, Path dir, MailboxLocks.Lock lock, MailboxIndex index, CacheFile cache) {
        this.name = name;
        this.dir = dir;
        this.lock = lock;
        this.index = index;
        this.cache = cache;
    }

    // ---------------------------------------------------------------- create / open

    /** Creates a new, empty mailbox in {@code dir}, which must not hold one yet. */
    public static Mailbox create(Path dir, MailboxName name, int uidValidity, long now) throws IOException {
        MailboxLocks.Lock lock = MailboxLocks.jvmWide().acquire(dir, LOCK_TIMEOUT);
        CacheFile cache = null;
        boolean made = false;
        try {
            if (StoreFiles.present(dir.resolve(MailboxIndex.FILE))) {
                throw new IOException("mailbox directory already holds a store.idx: " + dir);
            }
            made = true;
            cache = CacheFile.create(dir.resolve(CacheFile.FILE), uidValidity, 1, 1);
            CrashPoint.hit("create.after-cache-written");
            MailboxIndex.empty(uidValidity, 1, now).writeAtomically(dir.resolve(MailboxIndex.FILE), "create");
            return new Mailbox(name, dir, lock, MailboxIndex.open(dir.resolve(MailboxIndex.FILE)), cache);
        } catch (IOException | RuntimeException e) {
            if (cache != null) {
                cache.close();
            }
            if (made) {
                discardNew(dir, e); // a full disk, say: nothing of the mailbox is left for 'reconstruct --mboxlist' to list
            }
            lock.close();
            throw e;
        }
    }

    /**
     * Takes away a mailbox that {@link #create} made and nothing else took (its create failed, or the mailbox list could
     * not take its row): its files, then its directory if nothing else is in it (a sub-mailbox's directory may nest in
     * it, and stays). Failures are added to {@code cause} as suppressed: the create's own failure is what is reported.
     * The caller holds the mailbox's lock, or the mailbox was never handed out.
     */
    public static void discardNew(Path dir, Throwable cause) {
        for (String f : new String[] {MailboxIndex.FILE + ".tmp", MailboxIndex.FILE, CacheFile.FILE, MailboxLocks.LOCK_FILE}) {
            try {
                Files.deleteIfExists(dir.resolve(f));
            } catch (IOException e) {
                cause.addSuppressed(e);
            }
        }
        try {
            Files.deleteIfExists(dir);
        } catch (java.nio.file.DirectoryNotEmptyException e) {
            // something else lives there: a sub-mailbox's directory
        } catch (IOException e) {
            cause.addSuppressed(e);
        }
    }

    /**
     * Locks and opens a mailbox, finishing or rolling back an interrupted rewrite (or Clean) first, then runs the
     * sanity checks of an open, which read headers only: the index header (and its size against its record count),
     * the cache header, generation and length, and the expunge list's header, file id and length against what the
     * index committed. Records are checked when they are read. Throws {@link MailboxFormatException} if any fails.
     */
    public static Mailbox open(Path dir, MailboxName name) throws IOException {
        return open(dir, name, false);
    }

    /**
     * {@link #open(Path, MailboxName)}; {@code readOnly} (a read-only process) changes nothing on disk: an interrupted
     * rewrite is not finished (the mailbox cannot be opened until a process that may write has done it: an
     * {@link IOException} says so), leftovers are left, an interrupted Clean is not rolled forward.
     */
    public static Mailbox open(Path dir, MailboxName name, boolean readOnly) throws IOException {
        checkDirectory(dir);
        MailboxLocks.Lock lock = MailboxLocks.jvmWide().acquire(dir, LOCK_TIMEOUT);
        CacheFile cache = null;
        try {
            if (readOnly) {
                if (rewritePending(dir)) {
                    throw new IOException("mailbox " + name + ": an interrupted rewrite waits to be finished by a process that may write "
                            + "(impurge, or any mstore command not read-only); nothing was changed");
                }
            } else {
                recoverRewrite(dir);
            }
            MailboxIndex index = MailboxIndex.open(dir.resolve(MailboxIndex.FILE));
            cache = CacheFile.open(dir.resolve(CacheFile.FILE), true);
            MailboxIndex.Header h = index.header();
            if (cache.generation() != h.cacheGeneration()) {
                throw new MailboxFormatException(CacheFile.FILE + " generation " + cache.generation()
                        + " does not match the index (" + h.cacheGeneration() + ")");
            }
            if (cache.uidValidity() != h.uidValidity()) {
                throw new MailboxFormatException(CacheFile.FILE + " UID validity does not match the index");
            }
            if (cache.length() < h.cacheEnd()) {
                throw new MailboxFormatException(CacheFile.FILE + " is truncated: " + cache.length() + " bytes, index expects "
                        + h.cacheEnd());
            }
            checkExpungeList(dir, index, readOnly);
            if (cache.expungeMarking() && !readOnly) {
                // an expunge stopped between its 'P' marks and its 'E' ones: the index tells whether it committed
                cache.settleExpunging(uid -> {
                    try {
                        return index.find(uid) >= 0;
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                });
            }
            return new Mailbox(name, dir, lock, index, cache);
        } catch (IOException | RuntimeException e) {
            if (cache != null) {
                cache.close();
            }
            lock.close();
            throw e;
        }
    }

    /** The mailbox directory must be a directory: missing is the seed's "Mailbox does not exist". */
    private static void checkDirectory(Path dir) throws IOException {
        BasicFileAttributes a;
        try {
            a = Files.readAttributes(dir, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            throw new MailboxFormatException("Mailbox does not exist", true);
        } catch (IOException e) {
            throw StoreFiles.unreadable("mailbox directory " + dir.getFileName(), e);
        }
        if (a.isSymbolicLink()) {
            // not followed: to another mailbox's directory it would serve that mailbox's mail under this name, and its
            // changes would go there under a lock of another path
            throw new MailboxFormatException("mailbox directory " + dir.getFileName() + " is a symbolic link (to "
                    + linkTarget(dir) + "), not the mailbox's own directory");
        }
        if (!a.isDirectory()) {
            throw new MailboxFormatException("mailbox directory " + dir.getFileName() + " is not a directory");
        }
    }

    /**
     * The expunge list against the index header: for a version-2 index, {@code store.exp} must carry the header's
     * file id and hold at least the committed records (more is an expunge that never committed: ignored). A missing
     * {@code store.exp} is fine when nothing is committed; when something is and a renamed list carries the file id,
     * a Clean stopped between its rename and its header write: rolled forward here.
     */
    private static void checkExpungeList(Path dir, MailboxIndex index, boolean readOnly) throws IOException {
        MailboxIndex.Header h = index.header();
        Path exp = dir.resolve(ExpungeFile.FILE);
        long size = StoreFiles.regularSize(exp, ExpungeFile.FILE);
        if (h.legacyExpungeList()) {
            if (size >= 0) {
                ExpungeFile.readHeader(exp); // any version; every whole record counts
            }
            return;
        }
        if (size < 0) {
            if (h.expungeCount() == 0) {
                return;
            }
            if (renamedListWithId(dir, h.expungeFileId()) != null) {
                if (readOnly) {
                    return; // what the roll-forward writes changes nothing a reader sees
                }
                index.writeHeaderInPlace(h.withExpunge(h.expungeSeq(), ExpungeFile.newFileId(), 0));
                CrashPoint.hit("open.after-clean-rolled-forward");
                return;
            }
            throw new MailboxFormatException(ExpungeFile.FILE + " is missing: the index says " + h.expungeCount()
                    + " expunged messages were committed to it");
        }
        if (size < ExpungeFile.HEADER_SIZE && h.expungeCount() == 0) {
            return; // a creation cut short: nothing was committed to it; the next expunge writes its header
        }
        ExpungeFile.Header eh = ExpungeFile.readHeader(exp);
        ExpungeFile.checkHeader(eh, ExpungeFile.FILE, h.expungeFileId());
        long whole = (size - ExpungeFile.HEADER_SIZE) / eh.recordSize();
        if (whole < h.expungeCount()) {
            throw new MailboxFormatException(ExpungeFile.FILE + " is truncated: it holds " + whole + " whole records, the index says "
                    + h.expungeCount() + " were committed");
        }
    }

    /** The stamp of a renamed expunge list whose header carries {@code fileId}, or null. */
    private static String renamedListWithId(Path dir, long fileId) throws IOException {
        for (String s : cleanupStamps(dir)) {
            try {
                ExpungeFile.Header eh = ExpungeFile.readHeader(dir.resolve(EXP_PREFIX + s));
                if (eh != null && eh.fileId() == fileId) {
                    return s;
                }
            } catch (MailboxFormatException e) {
                // a damaged list is Remove's and Repair's business, not this question's
            }
        }
        return null;
    }

    /**
     * Finishes a Purge, Repair or upgrade that was interrupted: a complete {@code store.idx.new} means the new cache
     * was already durable, so both are moved into place; anything less is rolled back.
     */
    /** True when {@link #recoverRewrite} would move a complete new index (and cache) into place. */
    static boolean rewritePending(Path dir) throws IOException {
        BasicFileAttributes a = StoreFiles.attributes(dir.resolve(IDX_NEW));
        if (a == null || !a.isRegularFile()) {
            return false;
        }
        try {
            MailboxIndex.read(dir.resolve(IDX_NEW));
            return true;
        } catch (MailboxFormatException e) {
            return false;
        }
    }

    static void recoverRewrite(Path dir) throws IOException {
        Path idxNew = dir.resolve(IDX_NEW);
        Path cacheNew = dir.resolve(CACHE_NEW);
        removeLeftover(dir.resolve(IDX_TMP));
        BasicFileAttributes a = StoreFiles.attributes(idxNew);
        if (a != null) {
            boolean complete = false;
            if (a.isRegularFile()) {
                try {
                    MailboxIndex.read(idxNew);
                    complete = true;
                } catch (MailboxFormatException e) {
                    complete = false;
                }
            }
            if (complete) {
                if (StoreFiles.present(cacheNew)) {
                    Durable.replace(cacheNew, dir.resolve(CacheFile.FILE));
                    CrashPoint.hit("recoverrewrite.after-cache-renamed");
                }
                Durable.replace(idxNew, dir.resolve(MailboxIndex.FILE));
                CrashPoint.hit("recoverrewrite.after-index-renamed");
                return;
            }
            removeLeftover(idxNew);
        }
        removeLeftover(cacheNew);
        removeLeftover(dir.resolve(EXP_NEW));
    }

    /** Deletes a leftover of an interrupted write; something that is not a regular file is moved aside instead. */
    private static void removeLeftover(Path p) throws IOException {
        BasicFileAttributes a = StoreFiles.attributes(p);
        if (a == null) {
            return;
        }
        if (a.isDirectory()) {
            StoreFiles.moveAside(p);
        } else {
            Files.deleteIfExists(p);
        }
    }

    public MailboxName name() {
        return name;
    }

    public Path dir() {
        return dir;
    }

    /**
     * The index. Its header is read; its records are read on first use of {@link MailboxIndex#records()},
     * {@link MailboxIndex#get} or {@link MailboxIndex#find} (which check them all), while
     * {@link MailboxIndex#positions} searches the records on disk until then.
     */
    public MailboxIndex index() {
        return index;
    }

    public long cacheGeneration() {
        return index.header().cacheGeneration();
    }

    /**
     * The message file of {@code uid}: {@code <dir>/<hh>/<uid>.msg}, {@code hh} = {@code (uid >> 6) & 0xff} in hex:
     * runs of 64 consecutive UIDs share a directory, cycling through at most 256, so a small mailbox has few
     * directories and a big one spreads its files evenly.
     */
    public static Path messageFile(Path dir, int uid) {
        return dir.resolve(bucket(uid)).resolve(uid + ".msg");
    }

    private static String bucket(int uid) {
        int b = (uid >> 6) & 0xff;
        return b < 16 ? "0" + Integer.toHexString(b) : Integer.toHexString(b);
    }

    private static String messageLabel(int uid) {
        return "message file of UID " + uid;
    }

    // ---------------------------------------------------------------- reading

    /** The cache summary of a live message. */
    public MessageSummary summary(IndexRecord r) throws IOException {
        return cache.read(r.cacheOffset(), r.cacheLength(), r.uid());
    }

    /**
     * The message's bytes. Its file must be a regular file of the recorded size whose CRC-32C matches its index
     * record; its cache record must check out and agree. Anything else is a {@link MailboxFormatException}: altered
     * bytes are never served.
     */
    public byte[] fetch(int uid) throws IOException {
        IndexRecord r = index.lookup(uid);
        if (r == null) {
            throw new NoSuchMessageException(name, uid);
        }
        byte[] bytes;
        try {
            bytes = StoreFiles.readAll(messageFile(dir, uid), messageLabel(uid));
        } catch (NoSuchFileException e) {
            throw new MailboxFormatException(messageLabel(uid) + " is missing");
        }
        if (bytes.length != r.size()) {
            throw new MailboxFormatException(messageLabel(uid) + " has " + bytes.length + " bytes, the index says " + r.size());
        }
        if (r.checksumKnown() && StoreFiles.crc(bytes) != r.checksum()) {
            throw new MailboxFormatException(messageLabel(uid) + " is damaged: its checksum does not match");
        }
        CacheFile.CacheRecord c = cache.readRecord(r.cacheOffset(), r.cacheLength(), uid); // checked, as a client fetch would
        if (c.checksum() >= 0 && r.checksumKnown() && c.checksum() != r.checksum()) {
            throw new MailboxFormatException(CacheFile.FILE + " record of UID " + uid + " has another message checksum than the index");
        }
        return bytes;
    }

    /** Counts of cache records, live and expunged, by walking the cache. */
    public CacheFile.Counts cacheCounts() throws IOException {
        return cache.walk(index.header().cacheEnd(), false, null);
    }

    /**
     * The full sanity check (what {@code reconstruct -n} and the console's Check run): every index record's checksum
     * and order, every cache record's checksum, every index record pointing at its own cache record with the same
     * message checksum, every message file a regular file of the recorded size whose bytes match its checksum (every
     * file is read), the expunge lists readable. Returns the problems found (empty when healthy), at most about 50.
     */
    public List<String> verify() throws IOException {
        List<String> problems = new ArrayList<>();
        Set<Integer> named = new HashSet<>();
        List<IndexRecord> records;
        try {
            records = index.records();
        } catch (MailboxFormatException e) {
            problems.add(e.getMessage());
            records = List.of();
        }
        Map<Long, long[]> starts = new HashMap<>();
        boolean cacheOk = true;
        try {
            cache.walk(index.header().cacheEnd(), (offset, uid, len, expunged, checksum) -> starts.put(offset, new long[] {uid, checksum}));
        } catch (MailboxFormatException e) {
            problems.add(e.getMessage());
            cacheOk = false;
        }
        for (IndexRecord r : records) {
            long[] owner = starts.get(r.cacheOffset());
            if (cacheOk && (owner == null || owner[0] != r.uid())) {
                problems.add("index record of UID " + r.uid() + " points at no cache record of its own");
            } else if (cacheOk && owner[1] >= 0 && r.checksumKnown() && owner[1] != r.checksum()) {
                problems.add(CacheFile.FILE + " record of UID " + r.uid() + " has another message checksum than the index");
            }
            if (problems.size() > 50) {
                break;
            }
        }
        if (problems.size() <= 50) {
            List<IndexRecord> all = records;
            String[] found = new String[all.size()];
            ExecutorService pool = ioPool("verify-io");
            try {
                inParallel(pool, all.size(), SCAN_CHUNK, i -> found[i] = checkMessageFile(dir, all.get(i)));
            } finally {
                pool.shutdownNow();
            }
            for (String p : found) {
                if (p != null) {
                    problems.add(p);
                    if (problems.size() > 50) {
                        break;
                    }
                }
            }
        }
        if (problems.size() > 50) {
            problems.subList(50, problems.size()).clear();
            problems.add("... (stopped after 50 problems)");
            return problems;
        }
        try {
            MailboxIndex.Header h = index.header();
            Path exp = dir.resolve(ExpungeFile.FILE);
            long size = StoreFiles.regularSize(exp, ExpungeFile.FILE);
            if (h.legacyExpungeList()) {
                ExpungeFile.read(exp).forEach(e -> named.add(e.uid()));
            } else if (size < 0) {
                if (h.expungeCount() > 0) {
                    problems.add(ExpungeFile.FILE + " is missing: the index says " + h.expungeCount()
                            + " expunged messages were committed to it");
                }
            } else if (size >= ExpungeFile.HEADER_SIZE || h.expungeCount() > 0) {
                ExpungeFile.checkCommitted(exp, h.expungeFileId(), h.expungeCount());
                ExpungeFile.read(exp, h.expungeCount()).forEach(e -> named.add(e.uid()));
            }
        } catch (MailboxFormatException e) {
            problems.add(e.getMessage());
        }
        boolean listsRead = problems.isEmpty();
        for (String stamp : cleanupStamps()) {
            try {
                ExpungeFile.read(dir.resolve(EXP_PREFIX + stamp)).forEach(e -> named.add(e.uid()));
            } catch (MailboxFormatException e) {
                problems.add(e.getMessage());
                listsRead = false;
            }
        }
        List<Path> misspelled = new ArrayList<>();
        TreeMap<Integer, Path> files = listMessageFiles(dir, misspelled);
        if (listsRead && index.loaded()) {
            // A message file below the next UID that neither the index nor an expunge list names: its expunge record
            // (or a whole renamed list) is lost. Healthy mailboxes never have one.
            int next = index.header().nextUid();
            Set<Integer> live = new HashSet<>();
            for (IndexRecord r : records) {
                live.add(r.uid());
            }
            for (int uid : files.keySet()) {
                if (uid < next && !live.contains(uid) && !named.contains(uid) && problems.size() <= 50) {
                    problems.add(messageLabel(uid) + " is in no index and no expunge list: an expunge record of it was lost");
                }
            }
        }
        // A file under another spelling of a UID's name (05.msg for 5.msg) is read as that UID's by the listing, but
        // never served and never deleted: a second file claiming the UID, or the message's own file misnamed. A Repair
        // tells them apart (see rebuild).
        misspelled.sort(null);
        for (Path m : misspelled) {
            if (problems.size() <= 50) {
                problems.add("message file " + dir.relativize(m) + " is named otherwise than UID " + messageUid(m.getParent(), m)
                        + "'s file: another file claiming that UID, or the message's own under a wrong name");
            }
        }
        return problems;
    }

    /**
     * The message files in the buckets, by UID (names only: nothing is read); those whose names are not their UID's one
     * spelling ({@code 05.msg} for {@code 5.msg}) are added to {@code misspelled} too.
     */
    private static TreeMap<Integer, Path> listMessageFiles(Path dir, List<Path> misspelled) throws IOException {
        TreeMap<Integer, Path> out = new TreeMap<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, p -> p.getFileName().toString().matches("[0-9a-f]{2}")
                && Files.isDirectory(p))) {
            for (Path b : ds) {
                try (DirectoryStream<Path> ms = Files.newDirectoryStream(b, "*.msg")) {
                    for (Path m : ms) {
                        int uid = messageUid(b, m);
                        if (uid > 0) {
                            out.put(uid, m);
                            if (!m.getFileName().toString().equals(Integer.toUnsignedString(uid) + ".msg")) {
                                misspelled.add(m);
                            }
                        }
                    }
                }
            }
        }
        return out;
    }

    /** The UID of a message file's name in bucket {@code b}, or 0 when it is not one. */
    private static int messageUid(Path b, Path m) {
        String fn = m.getFileName().toString();
        String digits = fn.substring(0, fn.length() - 4);
        if (!digits.isEmpty() && digits.length() <= 10 && digits.chars().allMatch(Character::isDigit)) {
            long uid = Long.parseLong(digits);
            if (uid > 0 && uid < Integer.MAX_VALUE && bucket((int) uid).equals(b.getFileName().toString())) {
                return (int) uid;
            }
        }
        return 0;
    }

    /** The problem with a live message's file, or null. */
    private static String checkMessageFile(Path dir, IndexRecord r) {
        Path f = messageFile(dir, r.uid());
        try {
            long size = StoreFiles.regularSize(f, messageLabel(r.uid()));
            if (size < 0) {
                return messageLabel(r.uid()) + " is missing";
            }
            if (size != r.size()) {
                return messageLabel(r.uid()) + " has " + size + " bytes, the index says " + r.size();
            }
            if (r.checksumKnown()) {
                MessageRead m = readMessage(f, size);
                if (m.size() != r.size()) {
                    return messageLabel(r.uid()) + " has " + m.size() + " bytes, the index says " + r.size();
                }
                if (m.checksum() != r.checksum()) {
                    return messageLabel(r.uid()) + " is damaged: its checksum does not match";
                }
            }
            return null;
        } catch (NoSuchFileException e) {
            return messageLabel(r.uid()) + " is missing";
        } catch (IOException e) {
            return StoreFiles.unreadable(messageLabel(r.uid()), e).getMessage();
        }
    }

    /** A message file as read: its first bytes (at most {@value #HEAD_BYTES}), its size and its CRC-32C. */
    private record MessageRead(byte[] head, long size, long checksum) {
    }

    /** Reads a whole message file once: the head is kept, every byte goes through the checksum. */
    private static MessageRead readMessage(Path f, long expectedSize) throws IOException {
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
            int headLen = (int) Math.min(Math.max(expectedSize, 0), HEAD_BYTES);
            byte[] head = readUpTo(ch, headLen);
            CRC32C crc = new CRC32C();
            crc.update(head, 0, head.length);
            long total = head.length;
            if (head.length == headLen && expectedSize > headLen) {
                ByteBuffer b = ByteBuffer.allocate(HEAD_BYTES);
                int n;
                while ((n = ch.read(b)) >= 0) {
                    b.flip();
                    crc.update(b);
                    total += n;
                    b.clear();
                }
            }
            return new MessageRead(head, total, crc.getValue());
        }
    }

    // ---------------------------------------------------------------- user actions

    /** A message to append. */
    public record NewMessage(byte[] content, long internalDate, int flags) {
    }

    /**
     * Appends messages: message files first, then their cache records, then index records, then the
     * index header that commits them. With {@code sync}, each message file is forced to disk too.
     * Returns the new UIDs.
     */
    public int[] append(List<NewMessage> messages, boolean sync) throws IOException {
        if (messages.isEmpty()) {
            return new int[0];
        }
        ensureCurrent();
        int next = index.header().nextUid();
        int[] uids = new int[messages.size()];
        byte[][] payloads = new byte[messages.size()][];
        long[] checksums = new long[messages.size()];
        Set<Path> touchedDirs = new HashSet<>();
        int started = 0;
        try {
            for (int i = 0; i < messages.size(); i++) {
                NewMessage m = messages.get(i);
                int uid = next + i;
                uids[i] = uid;
                Path file = messageFile(dir, uid);
                String b = bucket(uid);
                if (knownDirs.add(b)) {
                    Path bucketDir = file.getParent();
                    BasicFileAttributes ba = StoreFiles.attributes(bucketDir);
                    if (ba != null && !ba.isDirectory()) {
                        knownDirs.remove(b);
                        throw new MailboxFormatException("message directory " + b + " is not a directory");
                    }
                    OwnerOnly.createDirectories(bucketDir);
                }
                BasicFileAttributes fa = StoreFiles.attributes(file);
                if (fa != null && !fa.isRegularFile()) {
                    throw StoreFiles.notRegular(messageLabel(uid), fa);
                }
                started = i + 1; // from here the file is this append's (something else at its path is left as it is)
                try (FileChannel ch = OwnerOnly.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                        StandardOpenOption.TRUNCATE_EXISTING)) {
                    Durable.writeFully(ch, ByteBuffer.wrap(m.content()), 0);
                    if (sync) {
                        ch.force(false);
                    }
                }
                // The file's mtime carries the internal date, so that a Repair that lost the index keeps it.
                Files.setLastModifiedTime(file, java.nio.file.attribute.FileTime.fromMillis(m.internalDate()));
                touchedDirs.add(file.getParent());
                int headLen = Math.min(m.content().length, HEAD_BYTES);
                payloads[i] = SummaryCodec.encode(SummaryCodec.parse(m.content(), headLen, m.internalDate(), m.content().length));
                checksums[i] = StoreFiles.crc(m.content());
            }
            if (sync) {
                touchedDirs.forEach(Durable::syncDirectory);
            }
            CrashPoint.hit("append.after-message-files");
        } catch (IOException | RuntimeException e) {
            discardUncommitted(uids, started);
            throw e;
        }
        long end = index.header().cacheEnd();
        long[] offsets;
        try {
            offsets = cache.append(uids, payloads, checksums, end);
            // the highest UID issued, kept where a Repair that lost the index (and a mailbox list put back from an
            // older copy) still finds it: a UID is never issued twice
            cache.raiseNextUid(next + messages.size());
            cache.force();
        } catch (IOException | RuntimeException e) {
            discardUncommitted(uids, uids.length);
            throw e;
        }
        CrashPoint.hit("append.after-cache-written");
        List<IndexRecord> added = new ArrayList<>(messages.size());
        long newEnd = end;
        for (int i = 0; i < messages.size(); i++) {
            NewMessage m = messages.get(i);
            int len = CacheFile.RECORD_OVERHEAD + payloads[i].length;
            added.add(new IndexRecord(uids[i], m.flags() & Flags.ALL, m.internalDate(), m.content().length, offsets[i], len, checksums[i]));
            newEnd = offsets[i] + len;
        }
        long now = messages.get(messages.size() - 1).internalDate();
        index.appendInPlace(added, next + messages.size(), newEnd, Math.max(now, index.header().lastModified()));
        CrashPoint.hit("append.after-index-header");
        return uids;
    }

    /**
     * Takes back the message files of an append that failed before its index header committed it (a full disk, a
     * refused write): nothing lists them, and a message half written would hold the space the disk lacks. Their UIDs
     * are at or past the index's next UID, so no committed message is touched; the next append writes them again.
     */
    private void discardUncommitted(int[] uids, int count) {
        for (int i = 0; i < count; i++) {
            try {
                Files.deleteIfExists(messageFile(dir, uids[i]));
            } catch (IOException | RuntimeException ignored) {
                // Repair's sweep takes what is left
            }
        }
    }

    /**
     * Sets or clears {@code flag} on the messages at {@code positions} (from {@link MailboxIndex#positions}); returns
     * how many changed. Only the records at those positions are read (each checked) and rewritten in place, forced.
     */
    public int setFlag(int[] positions, int flag, boolean on) throws IOException {
        ensureCurrent();
        int n = index.setFlag(positions, flag, on);
        CrashPoint.hit("setflag.after-records-written");
        return n;
    }

    /** Sets or clears {@code flag} on the messages of a UID set; returns how many changed. */
    public int setFlag(UidSet uids, int flag, boolean on) throws IOException {
        return setFlag(index.positions(uids), flag, on);
    }

    /** What an expunge removed from the index. */
    public record ExpungeResult(int messages, long bytes, int[] uids) {
    }

    /**
     * Removes the matching messages from the index and appends them to {@code store.exp}: the records (marked with
     * the next expunge sequence number, carrying each message's flags and checksum so that a recovery can restore the
     * one and check the other) are appended and forced first, then the new index (its header counting them)
     * is written aside and renamed into place: the rename commits the expunge. Records of an expunge that never
     * committed are cut off first. Message files and cache records stay until Remove.
     */
    public ExpungeResult expunge(Predicate<IndexRecord> which, long now) throws IOException {
        ensureCurrent();
        List<IndexRecord> all = index.records();
        List<IndexRecord> keep = new ArrayList<>(all.size());
        MailboxIndex.Header h = index.header();
        int seq = h.expungeSeq() + 1;
        List<ExpungeFile.Entry> gone = new ArrayList<>();
        List<IndexRecord> goneRecords = new ArrayList<>();
        long bytes = 0;
        for (IndexRecord r : all) {
            if (which.test(r)) {
                gone.add(new ExpungeFile.Entry(r.uid(), r.size(), now, seq, r.flags(), r.checksum()));
                goneRecords.add(r);
                bytes += r.size();
            } else {
                keep.add(r);
            }
        }
        if (gone.isEmpty()) {
            return new ExpungeResult(0, 0, new int[0]);
        }
        ExpungeFile.appendCommitted(dir.resolve(ExpungeFile.FILE), h.expungeFileId(), h.expungeCount(), gone);
        CrashPoint.hit("expunge.after-exp-written");
        // Before the commit, the cache records say an expunge is taking them ('P'): a crash between the commit and the
        // 'E' marks below, then the loss of the index and store.exp, leaves a Repair that holds these messages back as
        // recoverable instead of serving them again. The next open settles marks an expunge left ('E' or back to 'L').
        long[] goneOffsets = goneRecords.stream().mapToLong(IndexRecord::cacheOffset).toArray();
        int[] goneUids = goneRecords.stream().mapToInt(IndexRecord::uid).toArray();
        MailboxIndex next;
        try {
            cache.markExpunging(goneOffsets, goneUids);
            CrashPoint.hit("expunge.after-cache-marking");
            next = MailboxIndex.of(h.withLastModified(now).withExpunge(seq, h.expungeFileId(), h.expungeCount() + gone.size()), keep);
            next.writeAtomically(dir.resolve(MailboxIndex.FILE), "expunge");
        } catch (IOException | RuntimeException e) {
            putMarksBack(seq, e);
            throw e;
        }
        index.replaceAll(next.header(), next.records());
        // Committed: the cache records say so ('E'), a second record of the expunge that a Repair which lost both the
        // index and store.exp still finds. 'E' only now: it never names a message the index still lists.
        try {
            cache.markExpunged(goneOffsets, goneUids);
        } catch (IOException e) {
            // the expunge stands; its records stay 'P': a Repair that lost both files holds these messages back as
            // recoverable (see rebuild), and the next open settles them
        }
        return new ExpungeResult(gone.size(), bytes, gone.stream().mapToInt(ExpungeFile.Entry::uid).toArray());
    }

    /**
     * An expunge that failed without a crash (an I/O error) between its 'P' marks and its commit: settles the marks as
     * the next open would, before the error is reported — back to 'L' for the messages the index still lists, so that
     * none stays marked as being expunged while this open mailbox serves it, and no later expunge here clears the
     * header's flag over marks left behind. Only when the index on disk shows that this expunge did not commit (its
     * sequence number not there): once the rename is done the expunge stands, and its marks are the next open's to
     * settle, as after a crash there. If this fails too, the next open settles them ({@code failure} keeps why).
     */
    private void putMarksBack(int seq, Exception failure) {
        try {
            if (cache.expungeMarking() && MailboxIndex.open(dir.resolve(MailboxIndex.FILE)).header().expungeSeq() < seq) {
                cache.settleExpunging(uid -> {
                    try {
                        return index.find(uid) >= 0;
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                });
            }
        } catch (IOException | RuntimeException e) {
            failure.addSuppressed(e);
        }
    }

    /**
     * The records of {@code store.exp} that are committed: the messages expunged since the last cleanup, less those
     * recovered since ({@link #unexpunge}).
     */
    public long pendingExpunged() throws IOException {
        MailboxIndex.Header h = index.header();
        long n = h.legacyExpungeList() ? ExpungeFile.count(dir.resolve(ExpungeFile.FILE)) : h.expungeCount();
        if (n == 0 || !StoreFiles.present(dir.resolve(RecoveredFile.FILE))) {
            return n;
        }
        Map<Integer, RecoveredFile.Entry> recovered = RecoveredFile.read(dir);
        return n - currentExpunged().stream().filter(e -> recovered.containsKey(e.uid())).count();
    }

    /** The committed records of the current {@code store.exp}. */
    private List<ExpungeFile.Entry> currentExpunged() throws IOException {
        MailboxIndex.Header h = index.header();
        Path exp = dir.resolve(ExpungeFile.FILE);
        if (h.legacyExpungeList()) {
            return ExpungeFile.read(exp);
        }
        return h.expungeCount() == 0 ? List.of() : ExpungeFile.read(exp, h.expungeCount());
    }

    // ---------------------------------------------------------------- recovery of expunged messages

    /**
     * An expunged message that an expunge list still names: in {@code list} ({@code store.exp}, or the
     * {@code store.exp.<stamp>} a Clean renamed it to), whether its file is still there (Remove has not deleted it), and
     * the UID it was recovered as (0 if not) and when; the flags it had when it was expunged and its message checksum
     * ({@link IndexRecord#NO_CHECKSUM} if unknown), as its list's record says (none, and unknown, in a list of version 1
     * or 2).
     */
    public record Expunged(int uid, int size, long expungedAt, String list, boolean filePresent, int recoveredAs, long recoveredAt,
                           int flags, long checksum) {
        public boolean recoverable() {
            return filePresent && recoveredAs == 0;
        }
    }

    /** Every expunged message an expunge list still names (current and renamed lists), by UID. */
    public List<Expunged> expunged() throws IOException {
        Map<Integer, RecoveredFile.Entry> recovered = RecoveredFile.read(dir);
        TreeMap<Integer, Expunged> out = new TreeMap<>();
        for (String s : cleanupStamps()) {
            for (ExpungeFile.Entry e : ExpungeFile.read(dir.resolve(EXP_PREFIX + s))) {
                addExpunged(out, e, EXP_PREFIX + s, recovered);
            }
        }
        for (ExpungeFile.Entry e : currentExpunged()) {
            addExpunged(out, e, ExpungeFile.FILE, recovered);
        }
        // held back by a Repair that could not tell whether they were expunged: recoverable until an administrator decides
        for (Quarantined q : quarantined(dir)) {
            if (isHeld(q) && !out.containsKey(q.uid()) && index.lookup(q.uid()) == null) {
                RecoveredFile.Entry r = recovered.get(q.uid());
                out.put(q.uid(), new Expunged(q.uid(), (int) Math.min(Integer.MAX_VALUE, q.size()), q.when(), QUARANTINE, true,
                        r == null ? 0 : r.newUid(), r == null ? 0 : r.at(), 0, IndexRecord.NO_CHECKSUM));
            }
        }
        return new ArrayList<>(out.values());
    }

    private void addExpunged(Map<Integer, Expunged> out, ExpungeFile.Entry e, String list, Map<Integer, RecoveredFile.Entry> recovered)
            throws IOException {
        if (out.containsKey(e.uid()) || index.lookup(e.uid()) != null) {
            return; // still in the index: an expunge that never committed
        }
        BasicFileAttributes a = StoreFiles.attributes(messageFile(dir, e.uid()));
        RecoveredFile.Entry r = recovered.get(e.uid());
        out.put(e.uid(), new Expunged(e.uid(), e.size(), e.expungedAt(), list, a != null && a.isRegularFile(),
                r == null ? 0 : r.newUid(), r == null ? 0 : r.at(), e.flags(), e.checksum()));
    }

    /**
     * The summary of an expunged message, parsed from the start of its file only (its header block); its internal date
     * is the file's mtime (set at append). Null when the file is gone.
     */
    public MessageSummary expungedSummary(int uid) throws IOException {
        Path f = messageFile(dir, uid);
        BasicFileAttributes a = StoreFiles.attributes(f);
        if (a == null && index.lookup(uid) == null) {
            for (Quarantined q : quarantined(dir)) {
                if (q.uid() == uid && isHeld(q)) {
                    f = q.file(); // held back by a Repair that could not tell
                    a = StoreFiles.attributes(f);
                }
            }
        }
        if (a == null || !a.isRegularFile()) {
            return null;
        }
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
            byte[] head = readUpTo(ch, (int) Math.min(HEAD_BYTES, a.size()));
            return SummaryCodec.parse(head, head.length, a.lastModifiedTime().toMillis(), (int) a.size());
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    /** An expunged message's file as read for a copy: bytes, internal date, flags when expunged, when expunged. */
    public record ExpungedCopy(int uid, byte[] content, long internalDate, int flags, long expungedAt) {
    }

    /**
     * The expunged messages of {@code uids}, read and checked as {@link #unexpunge} reads them, with the flags their
     * expunge records kept (\\Deleted included: they were expunged so) and when they were expunged; in UID order. One
     * that cannot be recovered: {@link IllegalArgumentException}, saying why. Changes nothing on disk.
     */
    public List<ExpungedCopy> recoverableExpunged(int[] uids) throws IOException {
        Set<Integer> wanted = new HashSet<>();
        for (int u : uids) {
            wanted.add(u);
        }
        Map<Integer, Expunged> all = new TreeMap<>();
        for (Expunged x : expunged()) {
            if (x.recoverable() && wanted.remove(x.uid())) {
                all.put(x.uid(), x);
            }
        }
        if (!wanted.isEmpty()) {
            throw new IllegalArgumentException(whyNotExpunged(wanted.iterator().next()));
        }
        Map<Integer, Long> cacheSums = expungedCacheSums(all);
        List<ExpungedCopy> out = new ArrayList<>(all.size());
        for (Expunged x : all.values()) {
            out.add(readExpunged(x, cacheSums.get(x.uid())));
        }
        return out;
    }

    /** The message checksums the cache still holds for the UIDs of {@code all}. */
    private Map<Integer, Long> expungedCacheSums(Map<Integer, Expunged> all) throws IOException {
        Map<Integer, Long> cacheSums = new HashMap<>();
        cache.walk(index.header().cacheEnd(), (offset, uid, len, expunged, checksum) -> {
            if (all.containsKey(uid) && checksum != IndexRecord.NO_CHECKSUM) {
                cacheSums.put(uid, checksum);
            }
        });
        return cacheSums;
    }

    /**
     * The file of an expunged message, checked against its expunge record's size and checksum and its cache record's
     * checksum ({@code cacheSum}, null when none is left): its bytes, its mtime as internal date, the flags its record
     * kept, when it was expunged. A file that is gone or damaged: {@link IllegalArgumentException}, saying which.
     */
    private ExpungedCopy readExpunged(Expunged x, Long cacheSum) throws IOException {
        int uid = x.uid();
        Path f = x.list().equals(QUARANTINE) ? heldFile(uid) : messageFile(dir, uid);
        byte[] bytes;
        long mtime;
        try {
            bytes = StoreFiles.readAll(f, messageLabel(uid));
            mtime = Files.getLastModifiedTime(f).toMillis();
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(removedText(uid, x));
        }
        if (bytes.length != x.size()) {
            throw new IllegalArgumentException("UID " + uid + " of " + name + " cannot be recovered: its file has " + bytes.length
                    + " bytes, its expunge record says " + x.size());
        }
        long crc = StoreFiles.crc(bytes);
        if (cacheSum != null && crc != cacheSum) {
            throw new IllegalArgumentException("UID " + uid + " of " + name + " cannot be recovered: its file is damaged (its "
                    + "checksum does not match its cache record)");
        }
        if (x.checksum() != IndexRecord.NO_CHECKSUM && crc != x.checksum()) {
            throw new IllegalArgumentException("UID " + uid + " of " + name + " cannot be recovered: its file is damaged (its "
                    + "checksum does not match its expunge record)");
        }
        return new ExpungedCopy(uid, bytes, mtime, x.flags() & Flags.ALL, Math.max(1, x.expungedAt()));
    }

    /**
     * Recovers expunged messages (unexpunge): their files, still there until Remove, are appended again as new
     * messages (new UIDs), with their internal dates (the files' mtimes) and the flags they had when they were expunged
     * (kept in their expunge records) less {@code \Deleted}, in the append that commits them: a recovered message is
     * not expunged again by the next EXPUNGE. A record of a list of version 1 or 2 kept no flags: such a message comes
     * back with none. Each file is checked first against its expunge record's size and message checksum (version 3)
     * and the message checksum of its cache record (while a cache record of the UID is still there). If any of
     * {@code oldUids} cannot be recovered (not expunged, its file removed, already recovered, damaged), an
     * {@link IllegalArgumentException} says why and nothing is done. The append commits the copies; then the
     * recoveries are recorded in {@code store.unexp}, so that none is brought back twice. A crash between the two
     * leaves the copies in the mailbox and the old messages recoverable again (a duplicate, never a loss). The old
     * files stay for Remove, as before. Returns the new UIDs, in the order of {@code oldUids}.
     */
    public int[] unexpunge(int[] oldUids, long now) throws IOException {
        ensureCurrent();
        Map<Integer, Expunged> all = new HashMap<>();
        for (Expunged x : expunged()) {
            all.put(x.uid(), x);
        }
        Map<Integer, Long> cacheSums = expungedCacheSums(all);
        List<NewMessage> news = new ArrayList<>(oldUids.length);
        Set<Integer> seen = new HashSet<>();
        for (int uid : oldUids) {
            if (!seen.add(uid)) {
                throw new IllegalArgumentException("UID " + uid + " of " + name + " is named twice");
            }
            Expunged x = all.get(uid);
            String why = x == null ? whyNotExpunged(uid) : x.recoveredAs() != 0
                    ? "UID " + uid + " of " + name + " was already recovered as UID " + x.recoveredAs()
                    : !x.filePresent() ? removedText(uid, x) : null;
            if (why != null) {
                throw new IllegalArgumentException(why);
            }
            ExpungedCopy r = readExpunged(x, cacheSums.get(uid));
            news.add(new NewMessage(r.content(), r.internalDate(), x.flags() & Flags.ALL & ~Flags.DELETED));
        }
        if (news.isEmpty()) {
            return new int[0];
        }
        int[] newUids = append(news, true);
        CrashPoint.hit("unexpunge.after-append");
        List<RecoveredFile.Entry> done = new ArrayList<>(oldUids.length);
        for (int i = 0; i < oldUids.length; i++) {
            done.add(new RecoveredFile.Entry(oldUids[i], newUids[i], now));
        }
        RecoveredFile.append(dir, done);
        CrashPoint.hit("unexpunge.after-recorded");
        return newUids;
    }

    private static boolean isHeld(Quarantined q) {
        return q.file().getFileName().toString().endsWith("." + UNDECIDED + ".msg");
    }

    /** The file of a message a Repair held back as undecided (the latest, should there be more than one). */
    private Path heldFile(int uid) throws IOException {
        Path f = null;
        for (Quarantined q : quarantined(dir)) {
            if (q.uid() == uid && isHeld(q)) {
                f = q.file();
            }
        }
        if (f == null) {
            throw new IllegalArgumentException("UID " + uid + " of " + name + " is no longer held in the quarantine");
        }
        return f;
    }

    private String removedText(int uid, Expunged x) {
        return "UID " + uid + " of " + name + " can no longer be recovered: its file was removed by Remove"
                + (x.list().equals(ExpungeFile.FILE) ? "" : " (after the Clean of " + x.list().substring(EXP_PREFIX.length()) + ")");
    }

    /** Why {@code uid}, which no expunge list names, cannot be recovered. */
    private String whyNotExpunged(int uid) throws IOException {
        if (index.lookup(uid) != null) {
            return "UID " + uid + " of " + name + " is not expunged: it is in the mailbox";
        }
        RecoveredFile.Entry r = RecoveredFile.read(dir).get(uid);
        if (r != null) {
            return "UID " + uid + " of " + name + " was already recovered as UID " + r.newUid();
        }
        if (uid > 0 && (uid & 0xffffffffL) < (index.header().nextUid() & 0xffffffffL)) {
            return "UID " + uid + " of " + name + " can no longer be recovered: its file was removed by Remove (no expunge list "
                    + "names it any more)";
        }
        return "UID " + uid + " of " + name + " does not exist (the next UID is " + index.header().nextUid() + ")";
    }

    // ---------------------------------------------------------------- maintenance tasks

    /**
     * Clean: renames {@code store.exp} to {@code store.exp.<stamp>} (a later free stamp if taken), after checking its
     * committed records and cutting off any that never committed; then the index header names a new, empty
     * {@code store.exp}. Returns the stamp used, or null when nothing was committed to clean. A crash between the rename
     * and the header write is rolled forward by the next open.
     */
    public String clean(String stamp) throws IOException {
        ensureCurrent();
        MailboxIndex.Header h = index.header();
        if (h.expungeCount() == 0) {
            return null;
        }
        Path exp = dir.resolve(ExpungeFile.FILE);
        ExpungeFile.cutToCommitted(exp, h.expungeFileId(), h.expungeCount());
        CrashPoint.hit("clean.after-exp-cut");
        String s = stamp;
        while (StoreFiles.present(dir.resolve(EXP_PREFIX + s))) {
            s = nextStamp(s);
        }
        Durable.replace(exp, dir.resolve(EXP_PREFIX + s));
        CrashPoint.hit("clean.after-rename");
        index.writeHeaderInPlace(h.withExpunge(h.expungeSeq(), ExpungeFile.newFileId(), 0));
        CrashPoint.hit("clean.after-header-written");
        return s;
    }

    private static String nextStamp(String stamp) {
        java.time.LocalDateTime t = java.time.LocalDateTime.parse(stamp, STAMP);
        return t.plusSeconds(1).format(STAMP);
    }

    /** The format of cleanup stamps: {@code yyyyMMddHHmmss}. */
    public static final java.time.format.DateTimeFormatter STAMP = java.time.format.DateTimeFormatter.ofPattern("yyyyMMddHHmmss");

    /** Stamps of the renamed expunge lists waiting for Remove, oldest first. */
    public List<String> cleanupStamps() throws IOException {
        return cleanupStamps(dir);
    }

    /** The same for a mailbox directory that cannot be opened (a rebuild of the mboxlist). */
    public static List<String> cleanupStamps(Path dir) throws IOException {
        List<String> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, EXP_PREFIX + "*")) {
            for (Path p : ds) {
                String s = p.getFileName().toString().substring(EXP_PREFIX.length());
                if (s.length() == 14 && s.chars().allMatch(Character::isDigit)) {
                    out.add(s);
                }
            }
        }
        out.sort(null);
        return out;
    }

    /**
     * What a Remove did: {@code files} and {@code bytes} it deleted, and of the messages its lists name, those whose
     * files were gone already ({@code earlierFiles}, {@code earlierBytes} by the sizes the lists record): deleted by an
     * earlier run of the same Remove that failed or was killed before it finished, whose work nothing else counted.
     */
    public record RemoveResult(int files, long bytes, int earlierFiles, long earlierBytes, List<String> removedStamps,
                               List<String> remainingStamps, CacheFile.Counts counts) {
    }

    /**
     * Remove: for every renamed expunge list whose stamp is due, deletes the message files it names (never
     * one still in the index), marks their cache records expunged, then deletes the list. Idempotent: a
     * re-run after a crash finds files already gone (counted apart, by the sizes the list records, since the run that deleted them never reported) and records already marked. A list that does not check out, or
     * something other than a regular file at a message's path, is a {@link MailboxFormatException}.
     */
    public RemoveResult remove(Predicate<String> isDue) throws IOException {
        List<String> due = new ArrayList<>();
        List<String> remaining = new ArrayList<>();
        for (String s : cleanupStamps()) {
            (isDue.test(s) ? due : remaining).add(s);
        }
        Map<Integer, Integer> listed = new HashMap<>(); // UID -> size as the list records it
        for (String s : due) {
            for (ExpungeFile.Entry e : ExpungeFile.read(dir.resolve(EXP_PREFIX + s))) {
                if (index.find(e.uid()) < 0) {
                    listed.put(e.uid(), e.size());
                }
            }
        }
        Set<Integer> uids = listed.keySet();
        // every path is checked before any file is deleted: damage stops the Remove before it starts
        Map<Integer, BasicFileAttributes> present = new TreeMap<>();
        for (int uid : uids) {
            BasicFileAttributes a = StoreFiles.attributes(messageFile(dir, uid));
            if (a != null && !a.isRegularFile()) {
                throw StoreFiles.notRegular(messageLabel(uid), a);
            }
            if (a != null) {
                present.put(uid, a); // else already removed by an earlier, interrupted run
            }
        }
        int files = 0;
        long bytes = 0;
        int earlierFiles = 0;
        long earlierBytes = 0;
        for (Map.Entry<Integer, Integer> e : listed.entrySet()) {
            if (!present.containsKey(e.getKey())) {
                earlierFiles++;
                earlierBytes += e.getValue();
            }
        }
        Set<Path> parents = new HashSet<>();
        for (Map.Entry<Integer, BasicFileAttributes> e : present.entrySet()) {
            Path f = messageFile(dir, e.getKey());
            try {
                Files.delete(f);
                files++;
                bytes += e.getValue().size();
                parents.add(f.getParent());
            } catch (NoSuchFileException x) {
                // removed meanwhile
            }
        }
        parents.forEach(Durable::syncDirectory);
        CrashPoint.hit("remove.after-files-deleted");
        CacheFile.Counts counts = cache.walk(index.header().cacheEnd(), false,
                (offset, uid, len, expunged) -> !expunged && uids.contains(uid));
        CrashPoint.hit("remove.after-cache-marked");
        for (String s : due) {
            Files.deleteIfExists(dir.resolve(EXP_PREFIX + s));
        }
        if (!due.isEmpty()) {
            Durable.syncDirectory(dir);
        }
        CrashPoint.hit("remove.after-lists-deleted");
        return new RemoveResult(files, bytes, earlierFiles, earlierBytes, due, remaining, counts);
    }

    /** What a Purge did. */
    public record PurgeResult(long recordsBefore, long recordsAfter, long bytesBefore, long bytesAfter) {
        public long bytesReclaimed() {
            return bytesBefore - bytesAfter;
        }
    }

    /**
     * Purge: rewrites the cache without expunged records and the index with the new offsets, both aside
     * ({@code .new}), forced, then renamed cache first, index last. {@link #recoverRewrite} completes or
     * rolls back an interrupted purge on the next open.
     */
    public PurgeResult purge() throws IOException {
        PurgeResult upgraded = ensureCurrent();
        if (upgraded != null) {
            return upgraded; // the upgrade rewrote the cache without its expunged records: that was this Purge
        }
        MailboxIndex.Raw raw = index.readRaw(); // every record checked, none kept as an object
        MailboxIndex.Header h = index.header();
        long gen = h.cacheGeneration() + 1;
        CacheFile.Rewrite rw = cache.rewriteLive(dir.resolve(CACHE_NEW), h.cacheEnd(), gen);
        CrashPoint.hit("purge.after-cache-new");
        long[] moved = rw.mapAll(raw.cacheOffsets);
        for (int i = 0; i < moved.length; i++) {
            if (moved[i] < 0) {
                Files.deleteIfExists(dir.resolve(CACHE_NEW));
                throw new MailboxFormatException("index record of UID " + raw.uid(i) + " points at an expunged cache record");
            }
        }
        CacheFile.markUnlisted(dir.resolve(CACHE_NEW), moved); // a cache of an earlier release: now it marks expunges
        MailboxIndex.Header next = h.withCache(gen, rw.bytesAfter());
        raw.writeMoved(dir.resolve(IDX_NEW), next, moved, rw.lengthDelta());
        commitRewrite("purge", null);
        index.reopen(next);
        return new PurgeResult(rw.recordsBefore(), rw.records(), rw.bytesBefore(), rw.bytesAfter());
    }

    /** The index records with their cache records' new offsets; none may point at a dropped (expunged) record. */
    private List<IndexRecord> moveRecords(List<IndexRecord> all, CacheFile.Rewrite rw) throws IOException {
        long[] old = new long[all.size()];
        for (int i = 0; i < old.length; i++) {
            old[i] = all.get(i).cacheOffset();
        }
        long[] now = rw.mapAll(old);
        List<IndexRecord> moved = new ArrayList<>(all.size());
        for (int i = 0; i < old.length; i++) {
            IndexRecord r = all.get(i);
            if (now[i] < 0) {
                Files.deleteIfExists(dir.resolve(CACHE_NEW));
                throw new MailboxFormatException("index record of UID " + r.uid() + " points at an expunged cache record");
            }
            moved.add(r.withCache(now[i], r.cacheLength() + rw.lengthDelta()));
        }
        return moved;
    }

    /**
     * Moves a durable {@code store.cache.new} and a new index into place: index aside (written here from {@code next},
     * or already written when it is null), cache renamed, index renamed.
     */
    private void commitRewrite(String op, MailboxIndex next) throws IOException {
        if (next != null) {
            next.writeTo(dir.resolve(IDX_NEW));
        }
        CrashPoint.hit(op + ".after-index-new");
        Durable.syncDirectory(dir);
        cache.close();
        Durable.replace(dir.resolve(CACHE_NEW), dir.resolve(CacheFile.FILE));
        CrashPoint.hit(op + ".after-cache-renamed");
        Durable.replace(dir.resolve(IDX_NEW), dir.resolve(MailboxIndex.FILE));
        CrashPoint.hit(op + ".after-index-renamed");
        cache = CacheFile.open(dir.resolve(CacheFile.FILE), true);
        if (next != null) {
            index.replaceAll(next.header(), next.records());
        }
    }

    /**
     * Before the first change to a mailbox written by version 1 of the formats: rewrites it in version 2. A version-1
     * {@code store.exp} is rewritten (in version 3, without flags: version 1 kept none) with a file id (leaving out
     * records of messages still in the index: an expunge that version 1 could not tell had not committed), then the
     * cache and the index are rewritten the way a Purge rewrites them. Version-1 records carry no message checksum; they keep none until a Repair computes one.
     * Returns what the cache's rewrite did, or null if the mailbox was current.
     */
    private PurgeResult ensureCurrent() throws IOException {
        if (index.version() == MailboxIndex.VERSION && cache.version() == CacheFile.VERSION) {
            return null;
        }
        List<IndexRecord> all = index.records();
        MailboxIndex.Header h = index.header();
        int seq = h.expungeSeq();
        long expId = h.expungeFileId();
        int expCount = h.expungeCount();
        if (h.legacyExpungeList()) {
            Path exp = dir.resolve(ExpungeFile.FILE);
            Set<Integer> live = new HashSet<>();
            for (IndexRecord r : all) {
                live.add(r.uid());
            }
            List<ExpungeFile.Entry> kept = new ArrayList<>();
            for (ExpungeFile.Entry e : ExpungeFile.read(exp)) {
                if (!live.contains(e.uid())) {
                    kept.add(e);
                }
            }
            expId = ExpungeFile.newFileId();
            expCount = kept.size();
            seq = 0;
            if (kept.isEmpty()) {
                if (Files.deleteIfExists(exp)) {
                    Durable.syncDirectory(dir);
                }
            } else {
                ExpungeFile.write(dir.resolve(EXP_NEW), expId, kept);
                Durable.replace(dir.resolve(EXP_NEW), exp);
            }
            CrashPoint.hit("upgrade.after-exp-rewritten");
        }
        long gen = h.cacheGeneration() + 1;
        CacheFile.Rewrite rw = cache.rewriteLive(dir.resolve(CACHE_NEW), h.cacheEnd(), gen);
        CrashPoint.hit("upgrade.after-cache-new");
        List<IndexRecord> moved = moveRecords(all, rw);
        CacheFile.markUnlisted(dir.resolve(CACHE_NEW), moved.stream().mapToLong(IndexRecord::cacheOffset).toArray());
        commitRewrite("upgrade", MailboxIndex.of(h.withCache(gen, rw.bytesAfter()).withExpunge(seq, expId, expCount), moved));
        return new PurgeResult(rw.recordsBefore(), rw.records(), rw.bytesBefore(), rw.bytesAfter());
    }

    /**
     * Rewrites a mailbox written by version 1 of the formats in the current one, as its first change would (see
     * {@link #ensureCurrent}): the caller can then set the mailbox list's cache counts from what the rewrite left (its
     * cache holds no expunged record any more). Null if the mailbox was current.
     */
    public PurgeResult upgrade() throws IOException {
        return ensureCurrent();
    }

    // ---------------------------------------------------------------- quarantine

    /**
     * A message file that Repair found damaged and moved to {@code quarantine/}: never served, never deleted by the
     * store (the administrator decides).
     *
     * @param when   when it was quarantined, epoch milliseconds
     * @param reason why, in words
     */
    public record Quarantined(int uid, long size, long when, String reason, Path file) {
    }

    private static String reasonText(String code) {
        return switch (code) {
            case "size" -> "its size did not match its index or cache record";
            case "checksum" -> "its checksum did not match its index or cache record";
            case UNDECIDED -> "a Repair could not tell whether it had been expunged (index and expunge list lost): recover it with unexpunge";
            default -> "it could not be read";
        };
    }

    /**
     * The message files quarantined in a mailbox directory, by UID then time. Each is named
     * {@code quarantine/<uid>.<epoch ms>.<size|checksum|unreadable>.msg}: the name carries what the listing shows, so
     * there is no second file to keep in step (or to damage).
     */
    public static List<Quarantined> quarantined(Path dir) throws IOException {
        Path q = dir.resolve(QUARANTINE);
        List<Quarantined> out = new ArrayList<>();
        if (!Files.isDirectory(q)) {
            return out;
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(q)) {
            for (Path p : ds) {
                Matcher m = QUARANTINED.matcher(p.getFileName().toString());
                BasicFileAttributes a = StoreFiles.attributes(p);
                if (m.matches() && a != null && a.isRegularFile() && Long.parseLong(m.group(1)) <= Integer.MAX_VALUE) {
                    out.add(new Quarantined(Integer.parseInt(m.group(1)), a.size(), Long.parseLong(m.group(2)), reasonText(m.group(3)), p));
                }
            }
        }
        out.sort(Comparator.comparingInt(Quarantined::uid).thenComparingLong(Quarantined::when));
        return out;
    }

    /** The suffix of the record a Repair keeps of a message whose file was gone: {@code quarantine/<uid>.missing}. */
    static final String MISSING_SUFFIX = ".missing";
    /** The reason code of a message file held back by a Repair that could not tell whether it was expunged. */
    static final String UNDECIDED = "undecided";

    /** Keeps the index record of a message whose file is gone (size, checksum, flags, date), for its file's return. */
    private static void keepMissingRecord(Path dir, IndexRecord r) throws IOException {
        Path q = OwnerOnly.createDirectories(dir.resolve(QUARANTINE));
        Path f = q.resolve(r.uid() + MISSING_SUFFIX);
        if (!StoreFiles.present(f)) {
            OwnerOnly.writeAtomically(f, (r.size() + " " + r.checksum() + " " + r.flags() + " " + r.internalDate() + "\n")
                    .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        }
    }

    /** The records kept by {@link #keepMissingRecord}, by UID (one that does not parse is left out). */
    private static Map<Integer, IndexRecord> missingRecords(Path dir) throws IOException {
        Map<Integer, IndexRecord> out = new HashMap<>();
        Path q = dir.resolve(QUARANTINE);
        if (!Files.isDirectory(q, LinkOption.NOFOLLOW_LINKS)) {
            return out;
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(q, "*" + MISSING_SUFFIX)) {
            for (Path p : ds) {
                try {
                    int uid = Integer.parseInt(p.getFileName().toString().substring(0,
                            p.getFileName().toString().length() - MISSING_SUFFIX.length()));
                    String[] f = Files.readString(p, java.nio.charset.StandardCharsets.US_ASCII).strip().split(" ");
                    out.put(uid, new IndexRecord(uid, Integer.parseInt(f[2]), Long.parseLong(f[3]), Integer.parseInt(f[0]), 0, 0,
                            Long.parseLong(f[1])));
                } catch (IOException | RuntimeException e) {
                    // not a record of ours: left alone
                }
            }
        }
        return out;
    }

    /** Deletes the kept record of a message whose file came back (taken in again, or quarantined). */
    private static void forgetMissing(Path dir, int uid) throws IOException {
        Files.deleteIfExists(dir.resolve(QUARANTINE).resolve(uid + MISSING_SUFFIX));
    }

    /** Moves a damaged message file into quarantine; returns where it went. */
    private static Quarantined quarantine(Path dir, int uid, Path file, long size, String code, long now) throws IOException {
        Path q = OwnerOnly.createDirectories(dir.resolve(QUARANTINE));
        long when = now;
        Path target = q.resolve(uid + "." + when + "." + code + ".msg");
        while (StoreFiles.present(target)) {
            when++;
            target = q.resolve(uid + "." + when + "." + code + ".msg");
        }
        Files.move(file, target);
        OwnerOnly.restrict(target);
        Durable.syncDirectory(q);
        Durable.syncDirectory(file.getParent());
        return new Quarantined(uid, size, when, reasonText(code), target);
    }

    // ---------------------------------------------------------------- repair

    /**
     * What a Repair found and rebuilt.
     *
     * @param damaged        message files quarantined (their bytes did not match their records)
     * @param lostFromIndex  messages listed by the old index whose file is gone (or was not a file)
     * @param skippedExpunged message files left for Remove (their messages were expunged)
     * @param quarantined    the message files moved to {@code quarantine/} by this Repair
     * @param orphans        message files below the next UID that an intact index did not list and no expunge list
     *                       named (expunged, their expunge record lost): listed for Remove
     * @param orphanList     the stamp of the renamed expunge list that names them (null when there were none)
     * @param movedAside     store files and message paths that were not regular files, moved aside to these names
     * @param undecided      message files whose state nothing told (expunged or not): held in the quarantine as
     *                       recoverable ({@link #expunged}), not served
     */
    public record RepairResult(int messages, long bytes, int nextUid, int damaged, int lostFromIndex, int skippedExpunged,
                               List<String> notes, List<Quarantined> quarantined, int orphans, String orphanList,
                               List<String> movedAside, int undecided) {
    }

    /**
     * Repair with an orphan list stamped from {@code now} in the system's time zone. See
     * {@link #rebuild(Path, int, int, long, String)}.
     */
    public static RepairResult rebuild(Path dir, int uidValidityHint, int nextUidHint, long now) throws IOException {
        return rebuild(dir, uidValidityHint, nextUidHint, now,
                ZonedDateTime.ofInstant(Instant.ofEpochMilli(now), ZoneId.systemDefault()).format(STAMP));
    }

    /**
     * Repair: rebuilds {@code store.idx}, {@code store.cache} and {@code store.exp} from the message files and what
     * still checks out in the old files. See {@code docs/store-format.md}, "Repair". In short:
     * <ul>
     *   <li>anything that is not a regular file where a store file or a message file should be is moved aside
     *       ({@code <name>.damaged-<n>});</li>
     *   <li>a message stays expunged if a committed record of an expunge list names it, unless a surviving index
     *       record still lists it (then the expunge never committed: the message is kept);</li>
     *   <li>every other message file is read whole: if its size or CRC-32C differs from what a surviving index record
     *       or cache record says, it is quarantined ({@link #quarantined}); if neither knows its checksum it is kept
     *       and checksummed as it is;</li>
     *   <li>with an intact index, a file below its next UID that it does not list and that no list names was expunged
     *       and lost its expunge record: it is listed for Remove (the oldest damaged renamed list gets it back, else a
     *       new list {@code store.exp.<stamp>}); with an index that is not intact such files are kept;</li>
     *   <li>flags and dates come from surviving index records, else the date from the cache, else the file's mtime;
     *       the next UID never goes down.</li>
     * </ul>
     * The mailbox must be locked by the caller (see {@link #lockForRepair}).
     *
     * @param uidValidityHint used when the index header is lost (from the mboxlist)
     * @param nextUidHint     the mboxlist's next UID; the new next UID is never lower
     * @param stamp           the stamp ({@link #STAMP}) of a new expunge list for orphans
     */
    public static RepairResult rebuild(Path dir, int uidValidityHint, int nextUidHint, long now, String stamp) throws IOException {
        return rebuild(dir, uidValidityHint, nextUidHint, -1, now, stamp);
    }

    /**
     * Repair with the mailbox list's count of messages expunged since the last cleanup ({@code expungedHint}, -1 when
     * unknown): with the index header lost and no {@code store.exp}, a count of 0 says that no expunge record was lost.
     * Orphan list stamped from {@code now}.
     */
    public static RepairResult rebuild(Path dir, int uidValidityHint, int nextUidHint, long expungedHint, long now) throws IOException {
        return rebuild(dir, uidValidityHint, nextUidHint, expungedHint, now,
                ZonedDateTime.ofInstant(Instant.ofEpochMilli(now), ZoneId.systemDefault()).format(STAMP));
    }

    /** See {@link #rebuild(Path, int, int, long, String)} and {@link #rebuild(Path, int, int, long, long)}. */
    public static RepairResult rebuild(Path dir, int uidValidityHint, int nextUidHint, long expungedHint, long now, String stamp)
            throws IOException {
        List<String> notes = new ArrayList<>();
        List<String> aside = new ArrayList<>();
        prepareDirectory(dir, aside, notes);
        recoverRewrite(dir);
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, EXP_PREFIX + "*.new")) {
            for (Path p : ds) {
                removeLeftover(p); // a mended list that was never renamed into place
            }
        }
        // 1. Things that are not regular files where the store's files should be.
        List<String> storeFiles = new ArrayList<>(List.of(MailboxIndex.FILE, CacheFile.FILE, ExpungeFile.FILE));
        for (String s : cleanupStamps(dir)) {
            storeFiles.add(EXP_PREFIX + s);
        }
        for (String f : storeFiles) {
            moveAsideIfNotRegular(dir.resolve(f), f, aside, notes);
        }
        // a file where a message directory (or the quarantine) should be: aside, or no message could go there
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, p -> p.getFileName().toString().matches("[0-9a-f]{2}|" + QUARANTINE))) {
            for (Path p : ds) {
                if (!Files.isDirectory(p)) {
                    Path moved = StoreFiles.moveAside(p);
                    aside.add(moved.getFileName().toString());
                    notes.add(p.getFileName() + " was not a directory; moved aside to " + moved.getFileName());
                }
            }
        }
        CrashPoint.hit("rebuild.after-moved-aside");

        // 2. What the old index, cache and expunge lists still say.
        Path idxPath = dir.resolve(MailboxIndex.FILE);
        MailboxIndex.Salvage salvage = MailboxIndex.salvage(idxPath);
        MailboxIndex intact = readIntact(idxPath);
        Map<Integer, IndexRecord> known = new HashMap<>();
        Set<Integer> indexListed = new HashSet<>(); // UIDs a surviving record lists
        // A UID that surviving records name more than once, differently (a record copied over another and its UID
        // rewritten, by a tester or a bad disk): no one of them decides alone; the file's bytes pick the one they match
        Map<Integer, List<IndexRecord>> claims = new HashMap<>();
        for (IndexRecord r : salvage.records()) {
            indexListed.add(r.uid());
            IndexRecord first = known.putIfAbsent(r.uid(), r);
            if (first != null && !first.equals(r)) {
                claims.computeIfAbsent(r.uid(), u -> new ArrayList<>(List.of(first))).add(r);
            }
        }
        Map<Integer, IndexRecord> chosen = new java.util.concurrent.ConcurrentHashMap<>();
        Map<Integer, CacheFile.Salvaged> cached = CacheFile.salvage(dir.resolve(CacheFile.FILE));
        // Every UID below the cache's next UID was issued, and so was every UID a cache record names (Remove marks a
        // record 'X', Purge drops it): with the index lost and the mailbox list put back from an older copy, the
        // messages expunged and removed since are gone from every other file, and their UIDs must not be issued again
        long issued = Integer.toUnsignedLong(CacheFile.nextUid(dir.resolve(CacheFile.FILE))) - 1;
        for (int u : cached.keySet()) {
            issued = Math.max(issued, Integer.toUnsignedLong(u));
        }
        MailboxIndex.Header oldHeader = salvage.header();
        // An index whose next UID is below the mailbox list's was put back from an older copy: what it lists is not
        // what the expunges since left, so its records and its count of committed expunges decide nothing here
        boolean stale = oldHeader != null && (oldHeader.nextUid() & 0xffffffffL) < (nextUidHint & 0xffffffffL);
        if (stale) {
            notes.add("the index was older than the mailbox list (next UID " + (oldHeader.nextUid() & 0xffffffffL) + " < "
                    + (nextUidHint & 0xffffffffL) + "): every expunge record that checks out counts");
        }
        ExpungeFile.Salvage current = ExpungeFile.salvage(dir.resolve(ExpungeFile.FILE));
        List<ExpungeFile.Entry> currentKept = committedEntries(dir, stale ? null : oldHeader, current, notes);
        // Whether store.exp still holds every expunge committed to it: when it does not, a message file that nothing
        // else tells apart may be one of those expunged messages
        boolean expPresent = StoreFiles.present(dir.resolve(ExpungeFile.FILE));
        boolean currentComplete;
        if (oldHeader != null && !stale && !oldHeader.legacyExpungeList()) {
            int committed = oldHeader.expungeCount();
            currentComplete = committed == 0
                    || (!expPresent ? renamedListWithId(dir, oldHeader.expungeFileId()) != null
                    : current.header() != null && current.header().fileId() == oldHeader.expungeFileId() && currentKept.size() >= committed);
        } else if (expPresent) {
            currentComplete = !current.lostSome();
        } else {
            currentComplete = expungedHint == 0;
        }
        TreeMap<String, ExpungeFile.Salvage> renamed = new TreeMap<>();
        for (String s : cleanupStamps(dir)) {
            ExpungeFile.Salvage sv = ExpungeFile.salvage(dir.resolve(EXP_PREFIX + s));
            renamed.put(s, sv);
            if (sv.lostSome()) {
                notes.add(EXP_PREFIX + s + " was damaged: " + sv.entries().size() + " of its records checked out");
            }
        }
        Set<Integer> expunged = new HashSet<>();
        int maxUid = 0;
        for (ExpungeFile.Entry e : currentKept) {
            expunged.add(e.uid());
        }
        boolean listsComplete = currentComplete;
        for (ExpungeFile.Salvage sv : renamed.values()) {
            for (ExpungeFile.Entry e : sv.entries()) {
                expunged.add(e.uid());
            }
            listsComplete &= !sv.lostSome();
        }
        boolean cacheMarks = CacheFile.marksExpunges(dir.resolve(CacheFile.FILE));
        for (int u : expunged) {
            maxUid = Math.max(maxUid, u);
        }
        // A message that a surviving index record lists was not expunged: an expunge commits by writing an index
        // without it. The list entry is from an expunge that never committed; the message is kept.
        int stillListed = 0;
        for (int u : stale ? Set.<Integer>of() : known.keySet()) {
            if (expunged.remove(u)) {
                stillListed++;
            }
        }
        if (stillListed > 0) {
            notes.add(stillListed + " messages named by an expunge list are still in the index (an expunge that never committed); kept");
            currentKept.removeIf(e -> known.containsKey(e.uid()));
        }

        // Messages an earlier Repair found gone from disk: if a file comes back (put back by hand), it is that message,
        // checked against the record kept, and taken in again, never taken for an expunged message's leftover
        Map<Integer, IndexRecord> missing = missingRecords(dir);
        for (Map.Entry<Integer, IndexRecord> m : missing.entrySet()) {
            known.putIfAbsent(m.getKey(), m.getValue());
        }

        // 3. The message files: list and read them on a pool of I/O threads (the cost of a repair is waiting for the
        // disk, and a cold disk answers faster with many reads in flight).
        List<Path> buckets = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, p -> p.getFileName().toString().matches("[0-9a-f]{2}")
                && Files.isDirectory(p))) {
            ds.forEach(buckets::add);
        }
        enum State { OK, NOT_REGULAR, SIZE, CHECKSUM, UNREADABLE }
        record Scanned(int uid, Path file, State state, long size, long date, byte[] payload, long checksum, String detail) {
        }
        Map<Integer, Path> files = new HashMap<>();
        Set<Integer> renumbered = new HashSet<>();
        Set<Integer> undecided = new HashSet<>();
        List<Quarantined> earlyQuarantine = new ArrayList<>();
        List<Integer> orphanUids = new ArrayList<>();
        int[] candidates;
        Scanned[] scannedFiles;
        List<Path> notRegular = new ArrayList<>();
        ExecutorService pool = ioPool("repair-io");
        try {
            @SuppressWarnings("unchecked")
            List<Map.Entry<Integer, Path>>[] listed = new List[buckets.size()];
            inParallel(pool, buckets.size(), 1, i -> {
                Path b = buckets.get(i);
                List<Map.Entry<Integer, Path>> found = new ArrayList<>();
                try (DirectoryStream<Path> ms = Files.newDirectoryStream(b, "*.msg")) {
                    for (Path m : ms) {
                        int uid = messageUid(b, m);
                        if (uid > 0) {
                            found.add(Map.entry(uid, m));
                        }
                    }
                }
                listed[i] = found;
            });
            Map<Integer, List<Path>> twice = new TreeMap<>();
            for (List<Map.Entry<Integer, Path>> l : listed) {
                for (Map.Entry<Integer, Path> e : l) {
                    Path had = files.put(e.getKey(), e.getValue());
                    if (had != null) {
                        twice.computeIfAbsent(e.getKey(), u -> new ArrayList<>(List.of(had))).add(e.getValue());
                    }
                    maxUid = Math.max(maxUid, e.getKey());
                }
            }
            // A message file under another spelling of its name (5.msg as 05.msg) is read as its UID's, but every other
            // reader looks for the one spelling: it is renamed to it. Two files that claim one UID are told apart by
            // their bytes: the one that matches what the records say keeps the UID; a copy of it byte for byte is moved
            // aside; a different message gets a new UID (never lost, never served as the other).
            long base = maxUid;
            for (IndexRecord r : salvage.records()) {
                base = Math.max(base, r.uid());
            }
            for (int u : missing.keySet()) {
                base = Math.max(base, u);
            }
            for (Quarantined q : quarantined(dir)) {
                base = Math.max(base, q.uid());
            }
            base = Math.max(base, Math.max((nextUidHint & 0xffffffffL) - 1, oldHeader != null ? (oldHeader.nextUid() & 0xffffffffL) - 1 : 0));
            base = Math.max(base, issued);
            for (Map.Entry<Integer, Path> e : new ArrayList<>(files.entrySet())) {
                int uid = e.getKey();
                if (expunged.contains(uid)) {
                    continue; // left for Remove as it is
                }
                Path canon = messageFile(dir, uid);
                List<Path> claimants = twice.get(uid);
                if (claimants == null) {
                    if (!e.getValue().equals(canon) && !StoreFiles.present(canon)) {
                        Files.move(e.getValue(), canon);
                        Durable.syncDirectory(canon.getParent());
                        files.put(uid, canon);
                        notes.add("UID " + uid + ": its message file was named " + dir.relativize(e.getValue()) + "; renamed to "
                                + dir.relativize(canon));
                    }
                    continue;
                }
                ClaimOutcome out = settleClaimants(dir, uid, claimants, claims.getOrDefault(uid,
                        known.containsKey(uid) ? List.of(known.get(uid)) : List.of()), cached.get(uid), base, now, aside, notes);
                base = out.base();
                maxUid = (int) Math.min(Integer.MAX_VALUE, Math.max(maxUid, base));
                files.put(uid, out.kept());
                renumbered.addAll(out.renumbered().keySet());
                files.putAll(out.renumbered());
                earlyQuarantine.addAll(out.quarantined());
            }
            List<Integer> cand = new ArrayList<>();
            for (int u : files.keySet()) {
                if (expunged.contains(u)) {
                    continue;
                }
                boolean inIndex = (!stale && indexListed.contains(u)) || missing.containsKey(u);
                CacheFile.Salvaged c = cached.get(u);
                if (renumbered.contains(u)) {
                    cand.add(u);
                } else if (!inIndex && c != null && c.markedExpunged()) {
                    // its cache record says a committed expunge took it (or Remove): expunged, its list record lost
                    orphanUids.add(u);
                } else if (intact != null && u < intact.header().nextUid() && intact.find(u) < 0 && !missing.containsKey(u)) {
                    orphanUids.add(u);
                } else if (intact != null || inIndex
                        || (oldHeader != null && !stale && (u & 0xffffffffL) >= (oldHeader.nextUid() & 0xffffffffL))) {
                    // listed; or past the next UID (never committed, so never expunged)
                    cand.add(u);
                } else if (c != null && c.expungeInProgress()) {
                    // an expunge marked it and stopped (a crash) before it settled: whether it committed was in the
                    // files that are lost (the mailbox list may not have caught up either)
                    undecided.add(u);
                    cand.add(u);
                } else if ((c != null && cacheMarks) || listsComplete) {
                    // live in a cache that marks every expunge; or no expunge record was lost
                    cand.add(u);
                } else {
                    // nothing left tells whether an expunge took it: not served, not removed (see "undecided" below)
                    undecided.add(u);
                    cand.add(u);
                }
            }
            candidates = cand.stream().mapToInt(Integer::intValue).sorted().toArray();
            // Read each file whole: its checksum is what tells intact bytes from damaged ones.
            scannedFiles = new Scanned[candidates.length];
            int[] cs = candidates;
            inParallel(pool, cs.length, SCAN_CHUNK, i -> {
                int uid = cs[i];
                Path f = files.get(uid);
                IndexRecord old = known.get(uid);
                if (claims.containsKey(uid)) {
                    old = matchingClaim(f, claims.get(uid));
                    chosen.put(uid, old);
                }
                CacheFile.Salvaged c = cached.get(uid);
                long expectSize = old != null ? old.size() : c != null ? c.summary().size() : -1;
                long expectSum = old != null && old.checksumKnown() ? old.checksum() : c != null ? c.checksum() : -1;
                String by = old != null ? "the index" : "the cache";
                Scanned sc;
                try {
                    BasicFileAttributes a = StoreFiles.attributes(f);
                    if (a == null) {
                        sc = new Scanned(uid, f, State.UNREADABLE, -1, 0, null, -1, "it vanished while it was read");
                    } else if (!a.isRegularFile()) {
                        sc = new Scanned(uid, f, State.NOT_REGULAR, -1, 0, null, -1, "not a regular file");
                    } else if (expectSize >= 0 && a.size() != expectSize) {
                        sc = new Scanned(uid, f, State.SIZE, a.size(), 0, null, -1, "size does not match " + by);
                    } else if (a.size() > Integer.MAX_VALUE) {
                        sc = new Scanned(uid, f, State.UNREADABLE, a.size(), 0, null, -1, "larger than a message can be");
                    } else {
                        MessageRead m = readMessage(f, a.size());
                        if (expectSize >= 0 && m.size() != expectSize) {
                            sc = new Scanned(uid, f, State.SIZE, m.size(), 0, null, -1, "size does not match " + by);
                        } else if (expectSum >= 0 && m.checksum() != expectSum) {
                            String sumBy = old != null && old.checksumKnown() ? "the index" : "the cache";
                            sc = new Scanned(uid, f, State.CHECKSUM, m.size(), 0, null, -1, "checksum does not match " + sumBy);
                        } else {
                            long date = old != null ? old.internalDate() : c != null ? c.summary().internalDate()
                                    : a.lastModifiedTime().toMillis();
                            byte[] payload = SummaryCodec.encode(SummaryCodec.parse(m.head(), m.head().length, date, (int) m.size()));
                            sc = new Scanned(uid, f, State.OK, m.size(), date, payload, m.checksum(), null);
                        }
                    }
                } catch (IOException e) {
                    sc = new Scanned(uid, f, State.UNREADABLE, -1, 0, null, -1, "it cannot be read");
                }
                scannedFiles[i] = sc;
            });
            // message paths of expunged messages and orphans that are not files: aside too, so that Remove can work
            List<Integer> others = new ArrayList<>(orphanUids);
            for (int u : files.keySet()) {
                if (expunged.contains(u)) {
                    others.add(u);
                }
            }
            for (int u : others) {
                BasicFileAttributes a = StoreFiles.attributes(files.get(u));
                if (a != null && !a.isRegularFile()) {
                    notRegular.add(files.get(u));
                }
            }
        } finally {
            pool.shutdownNow();
        }
        int skippedExpunged = 0;
        for (int u : files.keySet()) {
            if (expunged.contains(u)) {
                skippedExpunged++;
            }
        }

        // 4. On disk, in an order that a crash at any point leaves repairable: aside, lists, quarantine, store.exp,
        // then the new cache and index (renamed as a Purge renames them).
        for (Path p : notRegular) {
            Path moved = StoreFiles.moveAside(p);
            aside.add(dir.relativize(moved).toString());
            notes.add(dir.relativize(p) + " was not a regular file; moved aside to " + dir.relativize(moved));
        }
        int lost = 0;
        List<Scanned> good = new ArrayList<>(scannedFiles.length);
        List<Scanned> bad = new ArrayList<>();
        for (Scanned s : scannedFiles) {
            if (s.state() == State.OK) {
                good.add(s);
            } else if (s.state() == State.NOT_REGULAR) {
                Path moved = StoreFiles.moveAside(s.file());
                aside.add(dir.relativize(moved).toString());
                lost++;
                notes.add("UID " + s.uid() + ": its message file was not a regular file; moved aside to " + dir.relativize(moved)
                        + "; left out");
                orphanUids.remove((Integer) s.uid());
            } else {
                bad.add(s);
            }
        }
        // Messages whose state nothing tells (index and expunge list lost, no cache record that says): whole, but served
        // as live they might be messages the user expunged, and listed for Remove they might be live ones. Held in the
        // quarantine as 'undecided', listed by unexpunge as recoverable, never deleted by the store.
        List<Scanned> held = new ArrayList<>();
        for (Scanned s : good) {
            if (undecided.contains(s.uid())) {
                held.add(s);
            }
        }
        good.removeAll(held);
        // Orphans: back on the oldest list that lost records, else on a new list.
        orphanUids.sort(null);
        orphanUids.removeIf(u -> {
            try {
                BasicFileAttributes a = StoreFiles.attributes(files.get(u));
                return a == null || !a.isRegularFile();
            } catch (IOException e) {
                return true;
            }
        });
        String orphanList = null;
        if (!orphanUids.isEmpty()) {
            orphanList = renamed.entrySet().stream().filter(e -> e.getValue().lostSome()).map(Map.Entry::getKey).findFirst().orElse(null);
            if (orphanList == null) {
                orphanList = stamp;
                while (StoreFiles.present(dir.resolve(EXP_PREFIX + orphanList))) {
                    orphanList = nextStamp(orphanList);
                }
            }
            notes.add(orphanUids.size() + " message files below the next UID are in no index and no expunge list (expunged, their "
                    + "expunge record lost): listed in " + EXP_PREFIX + orphanList + " for Remove");
        }
        for (Map.Entry<String, ExpungeFile.Salvage> e : renamed.entrySet()) {
            boolean getsOrphans = e.getKey().equals(orphanList);
            if (!e.getValue().lostSome() && !getsOrphans) {
                continue;
            }
            List<ExpungeFile.Entry> entries = new ArrayList<>(e.getValue().entries());
            entries.removeIf(x -> known.containsKey(x.uid()));
            if (getsOrphans) {
                for (int u : orphanUids) {
                    entries.add(orphanEntry(u, files.get(u), cached.get(u), now));
                }
            }
            writeList(dir, EXP_PREFIX + e.getKey(), entries);
        }
        if (orphanList != null && !renamed.containsKey(orphanList)) {
            List<ExpungeFile.Entry> entries = new ArrayList<>();
            for (int u : orphanUids) {
                entries.add(orphanEntry(u, files.get(u), cached.get(u), now));
            }
            writeList(dir, EXP_PREFIX + orphanList, entries);
        }
        CrashPoint.hit("rebuild.after-lists-mended");
        List<Quarantined> quarantined = new ArrayList<>(earlyQuarantine);
        for (Scanned s : bad) {
            String code = s.state() == State.SIZE ? "size" : s.state() == State.CHECKSUM ? "checksum" : "unreadable";
            Quarantined q = quarantine(dir, s.uid(), s.file(), s.size(), code, now);
            quarantined.add(new Quarantined(q.uid(), q.size(), q.when(), s.detail(), q.file()));
            notes.add("UID " + s.uid() + ": message file damaged (" + s.detail() + "); left out");
            notes.add("UID " + s.uid() + ": quarantined as " + dir.relativize(q.file()));
        }
        for (Scanned s : held) {
            quarantine(dir, s.uid(), s.file(), s.size(), UNDECIDED, now);
        }
        CrashPoint.hit("rebuild.after-quarantine");
        long expId = ExpungeFile.newFileId();
        Path expPath = dir.resolve(ExpungeFile.FILE);
        if (currentKept.isEmpty()) {
            if (Files.deleteIfExists(expPath)) {
                Durable.syncDirectory(dir);
            }
        } else {
            ExpungeFile.write(dir.resolve(EXP_NEW), expId, currentKept);
            Durable.replace(dir.resolve(EXP_NEW), expPath);
        }
        CrashPoint.hit("rebuild.after-exp-written");

        int uidValidity;
        long oldGen = oldHeader != null ? oldHeader.cacheGeneration() : 0;
        Integer cacheUidValidity = null;
        try (CacheFile old = CacheFile.open(dir.resolve(CacheFile.FILE), false)) {
            oldGen = Math.max(oldGen, old.generation());
            cacheUidValidity = old.uidValidity();
        } catch (IOException e) {
            // cache lost or unreadable: the new generation only has to differ from what is on disk
        }
        uidValidity = oldHeader != null ? oldHeader.uidValidity() : cacheUidValidity != null ? cacheUidValidity : uidValidityHint;
        long gen = oldGen + 1;
        for (IndexRecord r : salvage.records()) {
            maxUid = Math.max(maxUid, r.uid());
        }
        for (Quarantined q : quarantined(dir)) {
            maxUid = Math.max(maxUid, q.uid());
        }
        int nextUid = (int) Math.min(Integer.MAX_VALUE, Math.max(Math.max(Math.max(maxUid, issued) + 1L, nextUidHint),
                oldHeader != null ? oldHeader.nextUid() : 1));
        List<IndexRecord> records = new ArrayList<>(good.size());
        long bytes = 0;
        long end;
        try (CacheFile out = CacheFile.create(dir.resolve(CACHE_NEW), uidValidity, gen, nextUid)) {
            long pos = CacheFile.HEADER_SIZE;
            int chunk = 4096;
            for (int from = 0; from < good.size(); from += chunk) {
                List<Scanned> part = good.subList(from, Math.min(good.size(), from + chunk));
                int[] uids = part.stream().mapToInt(Scanned::uid).toArray();
                byte[][] payloads = part.stream().map(Scanned::payload).toArray(byte[][]::new);
                long[] sums = part.stream().mapToLong(Scanned::checksum).toArray();
                long[] offsets = out.append(uids, payloads, sums, pos);
                for (int i = 0; i < part.size(); i++) {
                    Scanned s = part.get(i);
                    IndexRecord old = chosen.getOrDefault(s.uid(), known.get(s.uid()));
                    int len = CacheFile.RECORD_OVERHEAD + payloads[i].length;
                    records.add(new IndexRecord(s.uid(), old != null ? old.flags() : 0, s.date(), (int) s.size(), offsets[i], len,
                            s.checksum()));
                    bytes += s.size();
                    pos = offsets[i] + len;
                }
            }
            out.force();
            end = pos;
        }
        CrashPoint.hit("rebuild.after-cache-new");
        Set<Integer> indexed = new HashSet<>();
        for (IndexRecord r : records) {
            indexed.add(r.uid());
        }
        for (Map.Entry<Integer, List<IndexRecord>> c : new TreeMap<>(claims).entrySet()) {
            if (indexed.contains(c.getKey())) {
                notes.add("UID " + c.getKey() + ": " + c.getValue().size() + " index records named it differently; its file matches "
                        + "one of them (kept, with that record's flags); the others described no file of this UID");
            }
        }
        Set<Integer> counted = new HashSet<>();
        for (IndexRecord r : salvage.records()) {
            if (!counted.add(r.uid())) {
                continue; // a UID named twice is one message
            }
            if (!files.containsKey(r.uid()) && !expunged.contains(r.uid())) {
                lost++;
                notes.add("UID " + r.uid() + ": in the index but its message file is gone; left out (its record is kept in "
                        + QUARANTINE + "/" + r.uid() + MISSING_SUFFIX + ": if the file is put back, the next Repair takes it in)");
                keepMissingRecord(dir, r);
            }
        }
        for (int u : missing.keySet()) {
            if (files.containsKey(u)) {
                notes.add("UID " + u + ": its message file, gone at an earlier Repair, is back: checked against its record and "
                        + "taken in again (or quarantined if it differs)");
            }
        }
        int seq = (oldHeader != null && !oldHeader.legacyExpungeList() ? oldHeader.expungeSeq() : 0) + 1;
        for (ExpungeFile.Entry e : currentKept) {
            seq = Math.max(seq, e.seq());
        }
        MailboxIndex next = MailboxIndex.of(new MailboxIndex.Header(uidValidity, nextUid, 0, gen, 0, now, end, seq,
                expId, currentKept.size()), records);
        next.writeTo(dir.resolve(IDX_NEW));
        CrashPoint.hit("rebuild.after-index-new");
        Durable.syncDirectory(dir);
        Durable.replace(dir.resolve(CACHE_NEW), dir.resolve(CacheFile.FILE));
        CrashPoint.hit("rebuild.after-cache-renamed");
        Durable.replace(dir.resolve(IDX_NEW), dir.resolve(MailboxIndex.FILE));
        CrashPoint.hit("rebuild.after-index-renamed");
        for (int u : missing.keySet()) {
            if (files.containsKey(u)) {
                forgetMissing(dir, u); // in the index again, or in quarantine: the record has done its work
            }
        }
        if (notes.size() > 40) {
            int more = notes.size() - 40;
            notes.subList(40, notes.size()).clear();
            notes.add("... and " + more + " more");
        }
        if (!held.isEmpty()) {
            notes.add(held.size() + " messages whose state could not be told apart (the index and the expunge list lost, no cache "
                    + "record of theirs left to say) were kept as recoverable, not served: run unexpunge --list");
        }
        return new RepairResult(records.size(), bytes, nextUid, quarantined.size(), lost, skippedExpunged, notes,
                List.copyOf(quarantined), orphanUids.size(), orphanUids.isEmpty() ? null : orphanList, List.copyOf(aside),
                held.size());
    }

    /**
     * The records of {@code store.exp} that Repair honours: with an index header that names the list, its committed
     * ones (records past the committed count are an expunge that never committed); otherwise every record that checks
     * out (with the index lost, nothing tells committed from not).
     */
    private static List<ExpungeFile.Entry> committedEntries(Path dir, MailboxIndex.Header h, ExpungeFile.Salvage s, List<String> notes)
            throws IOException {
        List<ExpungeFile.Entry> out = new ArrayList<>();
        boolean present = StoreFiles.present(dir.resolve(ExpungeFile.FILE));
        if (h != null && !h.legacyExpungeList()) {
            int committed = h.expungeCount();
            if (!present) {
                if (committed > 0 && renamedListWithId(dir, h.expungeFileId()) == null) {
                    notes.add(ExpungeFile.FILE + " is missing; the index says " + committed + " expunged messages were committed to it");
                }
                return out;
            }
            if (s.header() == null || s.header().fileId() == h.expungeFileId()) {
                for (int i = 0; i < s.entries().size(); i++) {
                    if (s.positions().get(i) < committed) {
                        out.add(s.entries().get(i));
                    }
                }
                if (out.size() < committed || s.header() == null) {
                    notes.add(ExpungeFile.FILE + " was damaged: " + out.size() + " of its " + committed + " committed records checked out");
                }
                return out;
            }
            notes.add(ExpungeFile.FILE + " belongs to another index (file id " + s.header().fileId() + "): every record that checks out counts");
        }
        out.addAll(s.entries());
        if (present && s.lostSome()) {
            notes.add(ExpungeFile.FILE + " was damaged: " + s.entries().size() + " of its records checked out");
        }
        return out;
    }

    /** Rewrites an expunge list aside ({@code <name>.new}) and renames it into place. */
    private static void writeList(Path dir, String name, List<ExpungeFile.Entry> entries) throws IOException {
        Path aside = dir.resolve(name + ".new");
        ExpungeFile.write(aside, ExpungeFile.newFileId(), entries);
        Durable.replace(aside, dir.resolve(name));
    }

    /** The record that lists an orphan for Remove: its size, and its message checksum when its cache record knew it. */
    private static ExpungeFile.Entry orphanEntry(int uid, Path file, CacheFile.Salvaged c, long now) {
        long sum = c != null ? c.checksum() : IndexRecord.NO_CHECKSUM;
        return new ExpungeFile.Entry(uid, (int) Math.min(Integer.MAX_VALUE, sizeOf(file)), now, 0, 0, sum);
    }

    private static long sizeOf(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            return 0;
        }
    }

    /** The mailbox directory, made a directory again if something else took its place; then owner-only created. */
    private static void prepareDirectory(Path dir, List<String> aside, List<String> notes) throws IOException {
        BasicFileAttributes a = StoreFiles.attributes(dir);
        if (a != null && a.isSymbolicLink()) {
            // whose the directory it names is, only an administrator can tell: rebuilding through the link would rewrite
            // another mailbox's files, and moving the link aside would empty this one; the Repair fails, and says why
            throw new IOException("cannot repair: the mailbox directory " + dir.getFileName() + " is a symbolic link (to "
                    + linkTarget(dir) + "); put the mailbox's own directory in its place, or delete the link for an empty "
                    + "mailbox, then repair it again");
        }
        if (a != null && !a.isDirectory() && !Files.isDirectory(dir)) {
            Path moved = StoreFiles.moveAside(dir);
            aside.add(moved.toString());
            notes.add("the mailbox directory was not a directory; moved aside to " + moved.getFileName());
        }
        OwnerOnly.createDirectories(dir);
    }

    private static String linkTarget(Path link) {
        try {
            return Files.readSymbolicLink(link).toString();
        } catch (IOException | UnsupportedOperationException e) {
            return "?";
        }
    }

    private static void moveAsideIfNotRegular(Path p, String label, List<String> aside, List<String> notes) throws IOException {
        BasicFileAttributes a = StoreFiles.attributes(p);
        if (a != null && !a.isRegularFile()) {
            Path moved = StoreFiles.moveAside(p);
            aside.add(moved.getFileName().toString());
            notes.add(label + " was not a regular file; moved aside to " + moved.getFileName());
        }
    }

    /** What {@link #settleClaimants} did: the file that keeps the UID, the files given new UIDs, those quarantined. */
    private record ClaimOutcome(Path kept, Map<Integer, Path> renumbered, List<Quarantined> quarantined, long base) {
    }

    /**
     * Settles several message files that claim one UID (its name spelt in more than one way). Each regular file is read
     * whole. The first (the name {@link #messageFile} spells first) whose size and checksum match an index record of
     * the UID, or else its cache record, keeps the UID and is renamed to that name; when nothing records the message,
     * the first one keeps it. Another file with the same bytes is a copy: moved aside. Another file with other bytes
     * is another message: it gets the next free UID above {@code base}. When records exist and no file matches them,
     * all are damaged as far as anyone can tell: the first is left to the scan (which quarantines it), the others are
     * quarantined here.
     */
    private static ClaimOutcome settleClaimants(Path dir, int uid, List<Path> paths, List<IndexRecord> records,
                                                CacheFile.Salvaged cache, long base, long now, List<String> aside,
                                                List<String> notes) throws IOException {
        Path canon = messageFile(dir, uid);
        record Claimant(Path file, long size, long sum) {
        }
        List<Path> ordered = new ArrayList<>(paths);
        ordered.sort(java.util.Comparator.comparing((Path p) -> !p.equals(canon)).thenComparing(Path::toString));
        List<Claimant> cl = new ArrayList<>();
        for (Path p : ordered) {
            BasicFileAttributes a = StoreFiles.attributes(p);
            if (a == null || !a.isRegularFile() || a.size() > Integer.MAX_VALUE) {
                if (a != null && p.equals(canon)) {
                    Path moved = StoreFiles.moveAside(p);
                    aside.add(dir.relativize(moved).toString());
                    notes.add(dir.relativize(p) + " was not a regular file; moved aside to " + dir.relativize(moved));
                }
                continue;
            }
            try {
                MessageRead m = readMessage(p, a.size());
                cl.add(new Claimant(p, m.size(), m.checksum()));
            } catch (IOException e) {
                // unreadable: not a claimant that can be told apart; left where it is
            }
        }
        List<long[]> expect = new ArrayList<>();
        for (IndexRecord r : records) {
            expect.add(new long[] {r.size(), r.checksumKnown() ? r.checksum() : -1});
        }
        if (cache != null) {
            expect.add(new long[] {cache.summary().size(), cache.checksum()});
        }
        Claimant keeper = null;
        for (Claimant c : cl) {
            for (long[] x : expect) {
                if (x[0] == c.size() && (x[1] < 0 || x[1] == c.sum())) {
                    keeper = c;
                    break;
                }
            }
            if (keeper != null) {
                break;
            }
        }
        Map<Integer, Path> renumbered = new TreeMap<>();
        List<Quarantined> quarantined = new ArrayList<>();
        if (cl.isEmpty()) {
            return new ClaimOutcome(ordered.get(0), renumbered, quarantined, base);
        }
        if (keeper == null && !expect.isEmpty()) {
            for (Claimant c : cl.subList(1, cl.size())) {
                Quarantined q = quarantine(dir, uid, c.file(), c.size(), "checksum", now);
                quarantined.add(new Quarantined(q.uid(), q.size(), q.when(), "a second file of UID " + uid
                        + " whose checksum matches none of its records", q.file()));
                notes.add("UID " + uid + ": a second message file, " + dir.relativize(c.file()) + ", matches none of its records; "
                        + "quarantined as " + dir.relativize(q.file()));
            }
            return new ClaimOutcome(cl.get(0).file(), renumbered, quarantined, base);
        }
        if (keeper == null) {
            keeper = cl.get(0);
        }
        for (Claimant c : cl) {
            if (c == keeper) {
                continue;
            }
            if (c.size() == keeper.size() && c.sum() == keeper.sum()) {
                Path moved = StoreFiles.moveAside(c.file());
                aside.add(dir.relativize(moved).toString());
                notes.add("UID " + uid + ": " + dir.relativize(c.file()) + " was a second copy of its message file, byte for byte; "
                        + "moved aside to " + dir.relativize(moved));
            } else {
                int nu = (int) ++base;
                Path target = messageFile(dir, nu);
                OwnerOnly.createDirectories(target.getParent());
                Files.move(c.file(), target);
                Durable.syncDirectory(target.getParent());
                Durable.syncDirectory(c.file().getParent());
                renumbered.put(nu, target);
                notes.add("UID " + uid + ": two different messages claimed it (" + dir.relativize(keeper.file()) + " and "
                        + dir.relativize(c.file()) + "); the one its records describe keeps it, the other is now UID " + nu);
            }
        }
        if (!keeper.file().equals(canon)) {
            Files.move(keeper.file(), canon);
            Durable.syncDirectory(canon.getParent());
        }
        return new ClaimOutcome(canon, renumbered, quarantined, base);
    }

    /**
     * Of the index records that name one UID differently, the one whose size and message checksum the file's bytes
     * match (a record without a checksum matches on its size); the first one when none does (the file is then checked
     * against it, and quarantined if it differs).
     */
    private static IndexRecord matchingClaim(Path f, List<IndexRecord> claims) {
        try {
            BasicFileAttributes a = StoreFiles.attributes(f);
            if (a != null && a.isRegularFile() && a.size() <= Integer.MAX_VALUE) {
                long sum = -1;
                for (IndexRecord r : claims) {
                    if (r.size() != a.size()) {
                        continue;
                    }
                    if (!r.checksumKnown()) {
                        return r;
                    }
                    if (sum < 0) {
                        sum = readMessage(f, a.size()).checksum();
                    }
                    if (sum == r.checksum()) {
                        return r;
                    }
                }
            }
        } catch (IOException e) {
            // unreadable: the scan says so
        }
        return claims.get(0);
    }

    private static MailboxIndex readIntact(Path idx) {
        try {
            MailboxIndex i = MailboxIndex.read(idx);
            i.records();
            return i;
        } catch (IOException e) {
            return null;
        }
    }

    /**
     * Locks a mailbox directory for {@link #rebuild}, which works on a mailbox that cannot be opened. Something that
     * is not a directory where the mailbox directory should be is moved aside first (nothing can be locked inside it).
     */
    public static MailboxLocks.Lock lockForRepair(Path dir) throws IOException {
        BasicFileAttributes a = StoreFiles.attributes(dir);
        if (a != null && !a.isDirectory() && !Files.isDirectory(dir)) {
            StoreFiles.moveAside(dir);
        }
        return MailboxLocks.jvmWide().acquire(dir, LOCK_TIMEOUT);
    }

    /** Reads up to {@code n} bytes from the channel's position (fewer at the end of the file). */
    private static byte[] readUpTo(FileChannel ch, int n) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(n);
        while (b.hasRemaining() && ch.read(b) >= 0) {
            // until full or at the end of the file
        }
        return b.position() == n ? b.array() : Arrays.copyOf(b.array(), b.position());
    }

    private static ExecutorService ioPool(String threadName) {
        return Executors.newFixedThreadPool(REPAIR_THREADS, r -> {
            Thread t = new Thread(r, threadName);
            t.setDaemon(true);
            return t;
        });
    }

    /** Work on item {@code i} that may fail with an {@link IOException}. */
    @FunctionalInterface
    private interface IoTask {
        void run(int i) throws IOException;
    }

    /**
     * Runs {@code task} for 0..n-1 on {@code pool}, {@code chunk} items per pool task (on this thread when there
     * is only one chunk); rethrows the first failure.
     */
    private static void inParallel(ExecutorService pool, int n, int chunk, IoTask task) throws IOException {
        if (n <= chunk) {
            for (int i = 0; i < n; i++) {
                task.run(i);
            }
            return;
        }
        List<Future<?>> futures = new ArrayList<>();
        for (int from = 0; from < n; from += chunk) {
            int a = from;
            int b = Math.min(n, from + chunk);
            futures.add(pool.submit(() -> {
                for (int i = a; i < b; i++) {
                    task.run(i);
                }
                return null;
            }));
        }
        try {
            for (Future<?> f : futures) {
                f.get();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("repair interrupted");
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof IOException io) {
                throw io;
            }
            if (c instanceof RuntimeException re) {
                throw re;
            }
            if (c instanceof Error err) {
                throw err;
            }
            throw new IOException(c);
        }
    }

    @Override
    public void close() throws IOException {
        try {
            cache.close();
        } finally {
            lock.close();
        }
    }
}
