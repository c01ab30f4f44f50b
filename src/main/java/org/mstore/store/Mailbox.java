package org.mstore.store;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Predicate;
import java.util.stream.Collectors;

import org.mstore.api.Flags;
import org.mstore.api.MailboxFormatException;
import org.mstore.api.MailboxName;
import org.mstore.api.MessageSummary;
import org.mstore.api.NoSuchMessageException;

/**
 * One mailbox directory, opened and locked: its {@code store.idx}, {@code store.cache},
 * {@code store.exp} and message files. Every method that changes the mailbox leaves it consistent
 * on disk if the process dies at any point (see {@code docs/store-format.md}, "Crash safety").
 *
 * <p>Time never comes from a clock here: callers pass the instants and the cleanup stamps.
 */
public final class Mailbox implements Closeable {
    public static final Duration LOCK_TIMEOUT = Duration.ofSeconds(30);
    static final String IDX_NEW = MailboxIndex.FILE + ".new";
    static final String CACHE_NEW = CacheFile.FILE + ".new";
    static final String EXP_PREFIX = ExpungeFile.FILE + ".";
    private static final int HEAD_READ = 8192;
    /**
     * Threads that list and read message files in a Repair: many more than cores, so that a cold disk has many
     * reads in flight (a cold-cache repair of 200,000 messages took 12-14 s on 2 threads, 7 s on 32); on a warm
     * page cache the extra threads cost next to nothing.
     */
    static final int REPAIR_THREADS = Math.max(8, Math.min(64, 16 * Runtime.getRuntime().availableProcessors()));
    /** Message files per pool task in a Repair. */
    private static final int SCAN_CHUNK = 256;

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
        try {
            if (Files.exists(dir.resolve(MailboxIndex.FILE))) {
                throw new IOException("mailbox directory already holds a store.idx: " + dir);
            }
            CacheFile cache = CacheFile.create(dir.resolve(CacheFile.FILE), uidValidity, 1);
            MailboxIndex index = MailboxIndex.empty(uidValidity, 1, now);
            index.writeAtomically(dir.resolve(MailboxIndex.FILE));
            return new Mailbox(name, dir, lock, index, cache);
        } catch (IOException | RuntimeException e) {
            lock.close();
            throw e;
        }
    }

    /**
     * Locks and opens a mailbox, finishing or rolling back an interrupted rewrite first, then runs the
     * sanity checks of an open: index header, record checksums and order, cache header and generation,
     * cache offsets within the committed cache. Throws {@link MailboxFormatException} if any fails.
     */
    public static Mailbox open(Path dir, MailboxName name) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new MailboxFormatException("Mailbox does not exist", true);
        }
        MailboxLocks.Lock lock = MailboxLocks.jvmWide().acquire(dir, LOCK_TIMEOUT);
        CacheFile cache = null;
        try {
            recoverRewrite(dir);
            MailboxIndex index = MailboxIndex.read(dir.resolve(MailboxIndex.FILE));
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
            return new Mailbox(name, dir, lock, index, cache);
        } catch (IOException | RuntimeException e) {
            if (cache != null) {
                cache.close();
            }
            lock.close();
            throw e;
        }
    }

    /**
     * Finishes a Purge or Repair that was interrupted: a complete {@code store.idx.new} means the new
     * cache was already durable, so both are moved into place; anything less is rolled back.
     */
    static void recoverRewrite(Path dir) throws IOException {
        Path idxNew = dir.resolve(IDX_NEW);
        Path cacheNew = dir.resolve(CACHE_NEW);
        Files.deleteIfExists(dir.resolve(MailboxIndex.FILE + ".tmp"));
        if (Files.exists(idxNew)) {
            boolean complete;
            try {
                MailboxIndex.read(idxNew);
                complete = true;
            } catch (MailboxFormatException e) {
                complete = false;
            }
            if (complete) {
                if (Files.exists(cacheNew)) {
                    Durable.replace(cacheNew, dir.resolve(CacheFile.FILE));
                }
                Durable.replace(idxNew, dir.resolve(MailboxIndex.FILE));
                return;
            }
            Files.deleteIfExists(idxNew);
        }
        Files.deleteIfExists(cacheNew);
    }

    public MailboxName name() {
        return name;
    }

    public Path dir() {
        return dir;
    }

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

    // ---------------------------------------------------------------- reading

    /** The cache summary of a live message. */
    public MessageSummary summary(IndexRecord r) throws IOException {
        return cache.read(r.cacheOffset(), r.cacheLength(), r.uid());
    }

    /** The message's bytes; its file must be present and of the recorded size. */
    public byte[] fetch(int uid) throws IOException {
        int pos = index.find(uid);
        if (pos < 0) {
            throw new NoSuchMessageException(name, uid);
        }
        IndexRecord r = index.get(pos);
        Path file = messageFile(dir, uid);
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new MailboxFormatException("message file of UID " + uid + " is missing");
        }
        if (bytes.length != r.size()) {
            throw new MailboxFormatException("message file of UID " + uid + " has " + bytes.length + " bytes, the index says " + r.size());
        }
        summary(r); // checks the cache record too, as a client fetch would
        return bytes;
    }

    /** Counts of cache records, live and expunged, by walking the cache. */
    public CacheFile.Counts cacheCounts() throws IOException {
        return cache.walk(index.header().cacheEnd(), false, null);
    }

    /**
     * The full sanity check (what {@code reconstruct -n} and the console's Check run): every cache record's
     * checksum, every index record pointing at its own cache record, every message file present and of
     * the recorded size, the expunge lists readable. Returns the problems found (empty when healthy).
     */
    public List<String> verify() throws IOException {
        List<String> problems = new ArrayList<>();
        Map<Long, Integer> starts = new HashMap<>();
        try {
            cache.walk(index.header().cacheEnd(), true, (offset, uid, len, expunged) -> {
                starts.put(offset, uid);
                return false;
            });
        } catch (MailboxFormatException e) {
            problems.add(e.getMessage());
        }
        for (IndexRecord r : index.records()) {
            Integer owner = starts.get(r.cacheOffset());
            if (problems.isEmpty() && (owner == null || owner != r.uid())) {
                problems.add("index record of UID " + r.uid() + " points at no cache record of its own");
            }
            Path f = messageFile(dir, r.uid());
            try {
                long size = Files.size(f);
                if (size != r.size()) {
                    problems.add("message file of UID " + r.uid() + " has " + size + " bytes, the index says " + r.size());
                }
            } catch (NoSuchFileException e) {
                problems.add("message file of UID " + r.uid() + " is missing");
            }
            if (problems.size() > 50) {
                problems.add("... (stopped after 50 problems)");
                break;
            }
        }
        try {
            ExpungeFile.read(dir.resolve(ExpungeFile.FILE));
            for (String stamp : cleanupStamps()) {
                ExpungeFile.read(dir.resolve(EXP_PREFIX + stamp));
            }
        } catch (MailboxFormatException e) {
            problems.add(e.getMessage());
        }
        return problems;
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
        int next = index.header().nextUid();
        int[] uids = new int[messages.size()];
        byte[][] payloads = new byte[messages.size()][];
        Set<Path> touchedDirs = new HashSet<>();
        for (int i = 0; i < messages.size(); i++) {
            NewMessage m = messages.get(i);
            int uid = next + i;
            uids[i] = uid;
            Path file = messageFile(dir, uid);
            String b = bucket(uid);
            if (knownDirs.add(b)) {
                Files.createDirectories(file.getParent());
            }
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                Durable.writeFully(ch, java.nio.ByteBuffer.wrap(m.content()), 0);
                if (sync) {
                    ch.force(false);
                }
            }
            // The file's mtime carries the internal date, so that a Repair that lost the index keeps it.
            Files.setLastModifiedTime(file, java.nio.file.attribute.FileTime.fromMillis(m.internalDate()));
            touchedDirs.add(file.getParent());
            int headLen = Math.min(m.content().length, 64 * 1024);
            payloads[i] = SummaryCodec.encode(SummaryCodec.parse(m.content(), headLen, m.internalDate(), m.content().length));
        }
        if (sync) {
            touchedDirs.forEach(Durable::syncDirectory);
        }
        long end = index.header().cacheEnd();
        long[] offsets = cache.append(uids, payloads, end);
        cache.force();
        List<IndexRecord> added = new ArrayList<>(messages.size());
        long newEnd = end;
        for (int i = 0; i < messages.size(); i++) {
            NewMessage m = messages.get(i);
            int len = CacheFile.RECORD_OVERHEAD + payloads[i].length;
            added.add(new IndexRecord(uids[i], m.flags() & Flags.ALL, m.internalDate(), m.content().length, offsets[i], len));
            newEnd = offsets[i] + len;
        }
        long now = messages.get(messages.size() - 1).internalDate();
        index.appendInPlace(dir.resolve(MailboxIndex.FILE), added, next + messages.size(), newEnd, Math.max(now, index.header().lastModified()));
        return uids;
    }

    /** Sets or clears {@code flag} on the messages at {@code positions}; returns how many changed. */
    public int setFlag(int[] positions, int flag, boolean on) throws IOException {
        List<Integer> changed = new ArrayList<>();
        List<IndexRecord> updated = new ArrayList<>();
        for (int p : positions) {
            IndexRecord r = index.get(p);
            int f = on ? r.flags() | flag : r.flags() & ~flag;
            if (f != r.flags()) {
                changed.add(p);
                updated.add(r.withFlags(f));
            }
        }
        if (!changed.isEmpty()) {
            index.rewriteInPlace(dir.resolve(MailboxIndex.FILE), changed.stream().mapToInt(Integer::intValue).toArray(), updated);
        }
        return changed.size();
    }

    /** What an expunge removed from the index. */
    public record ExpungeResult(int messages, long bytes, int[] uids) {
    }

    /**
     * Removes the matching messages from the index and appends them to {@code store.exp} (forced first, so
     * that a crash in between loses no record of what left the index). Message files and cache records
     * stay until Remove.
     */
    public ExpungeResult expunge(Predicate<IndexRecord> which, long now) throws IOException {
        List<IndexRecord> keep = new ArrayList<>(index.size());
        List<ExpungeFile.Entry> gone = new ArrayList<>();
        long bytes = 0;
        for (IndexRecord r : index.records()) {
            if (which.test(r)) {
                gone.add(new ExpungeFile.Entry(r.uid(), r.size(), now));
                bytes += r.size();
            } else {
                keep.add(r);
            }
        }
        if (gone.isEmpty()) {
            return new ExpungeResult(0, 0, new int[0]);
        }
        ExpungeFile.append(dir.resolve(ExpungeFile.FILE), gone);
        MailboxIndex next = MailboxIndex.of(index.header().withLastModified(now), keep);
        next.writeAtomically(dir.resolve(MailboxIndex.FILE));
        index.replaceAll(next.header(), next.records());
        return new ExpungeResult(gone.size(), bytes, gone.stream().mapToInt(ExpungeFile.Entry::uid).toArray());
    }

    /** Number of records in {@code store.exp}: the messages expunged since the last cleanup. */
    public long pendingExpunged() throws IOException {
        return ExpungeFile.count(dir.resolve(ExpungeFile.FILE));
    }

    // ---------------------------------------------------------------- maintenance tasks

    /**
     * Clean: renames {@code store.exp} to {@code store.exp.<stamp>} (a later free stamp if taken).
     * Returns the stamp used, or null when there was nothing to clean.
     */
    public String clean(String stamp) throws IOException {
        Path exp = dir.resolve(ExpungeFile.FILE);
        if (!Files.exists(exp)) {
            return null;
        }
        String s = stamp;
        while (Files.exists(dir.resolve(EXP_PREFIX + s))) {
            s = nextStamp(s);
        }
        Durable.replace(exp, dir.resolve(EXP_PREFIX + s));
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

    /** What a Remove did. */
    public record RemoveResult(int files, long bytes, List<String> removedStamps, List<String> remainingStamps,
                               CacheFile.Counts counts) {
    }

    /**
     * Remove: for every renamed expunge list whose stamp is due, deletes the message files it names (never
     * one still in the index), marks their cache records expunged, then deletes the list. Idempotent: a
     * re-run after a crash finds files already gone and records already marked.
     */
    public RemoveResult remove(Predicate<String> isDue) throws IOException {
        List<String> due = new ArrayList<>();
        List<String> remaining = new ArrayList<>();
        for (String s : cleanupStamps()) {
            (isDue.test(s) ? due : remaining).add(s);
        }
        Set<Integer> uids = new HashSet<>();
        for (String s : due) {
            for (ExpungeFile.Entry e : ExpungeFile.read(dir.resolve(EXP_PREFIX + s))) {
                if (index.find(e.uid()) < 0) {
                    uids.add(e.uid());
                }
            }
        }
        int files = 0;
        long bytes = 0;
        Set<Path> parents = new HashSet<>();
        for (int uid : uids) {
            Path f = messageFile(dir, uid);
            try {
                long size = Files.size(f);
                Files.delete(f);
                files++;
                bytes += size;
                parents.add(f.getParent());
            } catch (NoSuchFileException e) {
                // already removed by an earlier, interrupted run
            }
        }
        parents.forEach(Durable::syncDirectory);
        CacheFile.Counts counts = cache.walk(index.header().cacheEnd(), false,
                (offset, uid, len, expunged) -> !expunged && uids.contains(uid));
        for (String s : due) {
            Files.deleteIfExists(dir.resolve(EXP_PREFIX + s));
        }
        if (!due.isEmpty()) {
            Durable.syncDirectory(dir);
        }
        return new RemoveResult(files, bytes, due, remaining, counts);
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
        long gen = index.header().cacheGeneration() + 1;
        CacheFile.Rewrite rw = cache.rewriteLive(dir.resolve(CACHE_NEW), index.header().cacheEnd(), gen);
        List<IndexRecord> moved = new ArrayList<>(index.size());
        for (IndexRecord r : index.records()) {
            long off = rw.map(r.cacheOffset());
            if (off < 0) {
                Files.deleteIfExists(dir.resolve(CACHE_NEW));
                throw new MailboxFormatException("index record of UID " + r.uid() + " points at an expunged cache record");
            }
            moved.add(r.withCache(off, r.cacheLength()));
        }
        MailboxIndex next = MailboxIndex.of(index.header().withCache(gen, rw.bytesAfter()), moved);
        commitRewrite(next);
        return new PurgeResult(rw.recordsBefore(), rw.records(), rw.bytesBefore(), rw.bytesAfter());
    }

    private void commitRewrite(MailboxIndex next) throws IOException {
        next.writeTo(dir.resolve(IDX_NEW));
        Durable.syncDirectory(dir);
        cache.close();
        Durable.replace(dir.resolve(CACHE_NEW), dir.resolve(CacheFile.FILE));
        Durable.replace(dir.resolve(IDX_NEW), dir.resolve(MailboxIndex.FILE));
        cache = CacheFile.open(dir.resolve(CacheFile.FILE), true);
        index.replaceAll(next.header(), next.records());
    }

    // ---------------------------------------------------------------- repair

    /** What a Repair found and rebuilt. */
    public record RepairResult(int messages, long bytes, int nextUid, int damaged, int lostFromIndex, int skippedExpunged,
                               List<String> notes) {
    }

    /**
     * Repair: rebuilds {@code store.idx} and {@code store.cache} from the message files. Flags and dates
     * are kept from every index record that still checks out; a message whose file no longer has its
     * recorded size is damaged and left out; messages already expunged stay expunged. The mailbox must be
     * locked by the caller (see {@link #lockForRepair}).
     *
     * @param uidValidityHint used when the index header is lost (from the mboxlist)
     * @param nextUidHint     the mboxlist's next UID; the new next UID is never lower
     */
    public static RepairResult rebuild(Path dir, int uidValidityHint, int nextUidHint, long now) throws IOException {
        Files.createDirectories(dir);
        recoverRewrite(dir);
        MailboxIndex.Salvage salvage = MailboxIndex.salvage(dir.resolve(MailboxIndex.FILE));
        Map<Integer, IndexRecord> known = new HashMap<>();
        for (IndexRecord r : salvage.records()) {
            known.put(r.uid(), r);
        }
        Set<Integer> expunged = new HashSet<>();
        int maxUid = 0;
        for (ExpungeFile.Entry e : mendExpungeList(dir.resolve(ExpungeFile.FILE))) {
            expunged.add(e.uid());
        }
        List<Path> cleaned = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, EXP_PREFIX + "*")) {
            ds.forEach(cleaned::add); // listed first: mending renames inside the directory
        }
        for (Path p : cleaned) {
            for (ExpungeFile.Entry e : mendExpungeList(p)) {
                expunged.add(e.uid());
            }
        }
        // An index that still reads cleanly knows which messages are live: a file below its next UID that it does not
        // list was expunged, even if its expunge record was lost; never bring it back.
        MailboxIndex intact = readIntact(dir.resolve(MailboxIndex.FILE));
        for (int u : expunged) {
            maxUid = Math.max(maxUid, u);
        }
        // Collect message files: <hh>/<uid>.msg. Listing and reading run on a pool of I/O threads: the cost of a
        // repair is waiting for the disk, and a cold disk answers faster with many reads in flight.
        List<Path> buckets = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, p -> p.getFileName().toString().matches("[0-9a-f]{2}")
                && Files.isDirectory(p))) {
            ds.forEach(buckets::add);
        }
        record Scanned(int uid, long size, long mtime, byte[] payload, boolean damaged) {
        }
        Map<Integer, Path> files = new HashMap<>();
        int[] candidates;
        Scanned[] scannedFiles;
        ExecutorService pool = Executors.newFixedThreadPool(REPAIR_THREADS, r -> {
            Thread t = new Thread(r, "repair-io");
            t.setDaemon(true);
            return t;
        });
        try {
            @SuppressWarnings("unchecked")
            List<Map.Entry<Integer, Path>>[] listed = new List[buckets.size()];
            inParallel(pool, buckets.size(), 1, i -> {
                Path b = buckets.get(i);
                List<Map.Entry<Integer, Path>> found = new ArrayList<>();
                try (DirectoryStream<Path> ms = Files.newDirectoryStream(b, "*.msg")) {
                    for (Path m : ms) {
                        String fn = m.getFileName().toString();
                        String digits = fn.substring(0, fn.length() - 4);
                        if (!digits.isEmpty() && digits.length() <= 10 && digits.chars().allMatch(Character::isDigit)) {
                            long uid = Long.parseLong(digits);
                            if (uid > 0 && uid < Integer.MAX_VALUE && bucket((int) uid).equals(b.getFileName().toString())) {
                                found.add(Map.entry((int) uid, m));
                            }
                        }
                    }
                }
                listed[i] = found;
            });
            for (List<Map.Entry<Integer, Path>> l : listed) {
                for (Map.Entry<Integer, Path> e : l) {
                    files.put(e.getKey(), e.getValue());
                    maxUid = Math.max(maxUid, e.getKey());
                }
            }
            candidates = files.keySet().stream().mapToInt(Integer::intValue).filter(u -> !expunged.contains(u)
                    && (intact == null || u >= intact.header().nextUid() || intact.find(u) >= 0)).sorted().toArray();
            // Read the head of each file: this is the cost of a repair.
            scannedFiles = new Scanned[candidates.length];
            int[] cand = candidates;
            inParallel(pool, cand.length, SCAN_CHUNK, i -> {
                int uid = cand[i];
                Path f = files.get(uid);
                Scanned sc;
                try {
                    BasicFileAttributes a = Files.readAttributes(f, BasicFileAttributes.class);
                    long size = a.size();
                    IndexRecord old = known.get(uid);
                    if ((old != null && old.size() != size) || size > Integer.MAX_VALUE) {
                        sc = new Scanned(uid, size, 0, null, true);
                    } else {
                        byte[] head = readHead(f, size);
                        long date = old != null ? old.internalDate() : a.lastModifiedTime().toMillis();
                        byte[] payload = SummaryCodec.encode(SummaryCodec.parse(head, head.length, date, (int) size));
                        sc = new Scanned(uid, size, date, payload, false);
                    }
                } catch (IOException e) {
                    sc = new Scanned(uid, -1, 0, null, true);
                }
                scannedFiles[i] = sc;
            });
        } finally {
            pool.shutdownNow();
        }
        int skippedExpunged = files.size() - candidates.length;
        List<Scanned> scanned = Arrays.asList(scannedFiles);

        MailboxIndex.Header oldHeader = salvage.header();
        int uidValidity = oldHeader != null ? oldHeader.uidValidity() : uidValidityHint;
        long oldGen = oldHeader != null ? oldHeader.cacheGeneration() : 0;
        try (CacheFile old = CacheFile.open(dir.resolve(CacheFile.FILE), false)) {
            oldGen = Math.max(oldGen, old.generation());
        } catch (IOException e) {
            // cache lost or unreadable: the new generation only has to differ from what is on disk
        }
        long gen = oldGen + 1;
        List<IndexRecord> records = new ArrayList<>(scanned.size());
        int damaged = 0;
        long bytes = 0;
        List<String> notes = new ArrayList<>();
        long end;
        try (CacheFile out = CacheFile.create(dir.resolve(CACHE_NEW), uidValidity, gen)) {
            long pos = CacheFile.HEADER_SIZE;
            int chunk = 4096;
            for (int from = 0; from < scanned.size(); from += chunk) {
                List<Scanned> part = scanned.subList(from, Math.min(scanned.size(), from + chunk));
                List<Scanned> good = part.stream().filter(s -> !s.damaged()).collect(Collectors.toList());
                for (Scanned s : part) {
                    if (s.damaged()) {
                        damaged++;
                        if (notes.size() < 20) {
                            notes.add("UID " + s.uid() + ": message file damaged (size does not match the index); left out");
                        }
                    }
                }
                int[] uids = good.stream().mapToInt(Scanned::uid).toArray();
                byte[][] payloads = good.stream().map(Scanned::payload).toArray(byte[][]::new);
                long[] offsets = out.append(uids, payloads, pos);
                for (int i = 0; i < good.size(); i++) {
                    Scanned s = good.get(i);
                    IndexRecord old = known.get(s.uid());
                    int len = CacheFile.RECORD_OVERHEAD + payloads[i].length;
                    records.add(new IndexRecord(s.uid(), old != null ? old.flags() : 0, s.mtime(), (int) s.size(), offsets[i], len));
                    bytes += s.size();
                    pos = offsets[i] + len;
                }
            }
            out.force();
            end = pos;
        }
        int lost = 0;
        for (IndexRecord r : salvage.records()) {
            if (!files.containsKey(r.uid()) && !expunged.contains(r.uid())) {
                lost++;
                if (notes.size() < 20) {
                    notes.add("UID " + r.uid() + ": in the index but its message file is gone; left out");
                }
            }
            maxUid = Math.max(maxUid, r.uid());
        }
        int nextUid = Math.max(Math.max(maxUid + 1, nextUidHint), oldHeader != null ? oldHeader.nextUid() : 1);
        MailboxIndex next = MailboxIndex.of(new MailboxIndex.Header(uidValidity, nextUid, 0, gen, 0, now, end), records);
        next.writeTo(dir.resolve(IDX_NEW));
        Durable.syncDirectory(dir);
        Durable.replace(dir.resolve(CACHE_NEW), dir.resolve(CacheFile.FILE));
        Durable.replace(dir.resolve(IDX_NEW), dir.resolve(MailboxIndex.FILE));
        return new RepairResult(records.size(), bytes, nextUid, damaged, lost, skippedExpunged, notes);
    }

    private static MailboxIndex readIntact(Path idx) throws IOException {
        try {
            return MailboxIndex.read(idx);
        } catch (MailboxFormatException e) {
            return null;
        }
    }

    /**
     * Reads an expunge list for Repair, keeping every record that checks out; a damaged list is rewritten with
     * those (aside, then renamed), so that Expunge and Remove can use it again.
     */
    private static List<ExpungeFile.Entry> mendExpungeList(Path file) throws IOException {
        try {
            return ExpungeFile.read(file);
        } catch (MailboxFormatException e) {
            List<ExpungeFile.Entry> good = ExpungeFile.read(file, true);
            Path aside = file.resolveSibling("mend-" + file.getFileName());
            Files.deleteIfExists(aside);
            if (good.isEmpty()) {
                Files.delete(file);
                Durable.syncDirectory(file.getParent());
            } else {
                ExpungeFile.append(aside, good);
                Durable.replace(aside, file);
            }
            return good;
        }
    }

    /** Locks a mailbox directory for {@link #rebuild}, which works on a mailbox that cannot be opened. */
    public static MailboxLocks.Lock lockForRepair(Path dir) throws IOException {
        return MailboxLocks.jvmWide().acquire(dir, LOCK_TIMEOUT);
    }

    /**
     * The start of a message file: its first {@value #HEAD_READ} bytes, or up to 64 KiB when the header block
     * runs past them. {@code size} is the file's size, so that a small file takes a single read.
     */
    private static byte[] readHead(Path f, long size) throws IOException {
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
            byte[] head = readUpTo(ch, (int) Math.min(size, HEAD_READ));
            if (MessageHeaders.headerEnd(head, head.length) == head.length && head.length == HEAD_READ) {
                byte[] more = readUpTo(ch, (int) Math.max(0, Math.min(size, 64 * 1024) - HEAD_READ));
                byte[] all = Arrays.copyOf(head, head.length + more.length);
                System.arraycopy(more, 0, all, head.length, more.length);
                return all;
            }
            return head;
        }
    }

    /** Reads up to {@code n} bytes from the channel's position (fewer at the end of the file). */
    private static byte[] readUpTo(FileChannel ch, int n) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(n);
        while (b.hasRemaining() && ch.read(b) >= 0) {
            // until full or at the end of the file
        }
        return b.position() == n ? b.array() : Arrays.copyOf(b.array(), b.position());
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
