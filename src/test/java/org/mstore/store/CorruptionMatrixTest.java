package org.mstore.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.mstore.api.Flags;
import org.mstore.api.MailboxFormatException;
import org.mstore.api.NoSuchMessageException;
import org.mstore.testing.Disk;
import org.mstore.testing.ExpungeListV2;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * SPEC §10: every damage of every store file is detected (a {@link MailboxFormatException} with a one-line message
 * naming the file, from an open, a fetch or the full check) and healed by Repair: every message the user did not
 * expunge is back with its exact bytes, no expunged message comes back, a message whose own bytes are damaged is
 * quarantined and never served, and the mailbox opens and verifies clean afterwards; the expunged messages' files are
 * still removed in the end.
 *
 * <p>Every file kind × every damage, on a mailbox that holds messages at every stage ({@link StoreFixture#lifecycle}).
 * Two cells do not apply: a directory cannot be cut in half, nor replaced by a directory. There is no
 * {@code quarantine/index} to damage: the quarantine's listing is in its file names. The expunge lists are damaged in
 * version 3 (what the store writes) and, rewritten first as the previous release wrote them, in version 2 (still read).
 */
class CorruptionMatrixTest {
    static final Set<Integer> LIVE = Set.of(7, 8, 9, 10, 11, 12);
    static final Set<Integer> EXPUNGED = Set.of(1, 2, 3, 4, 5, 6);
    static final int DAMAGED_UID = 10;

    @TempDir
    Path tmp;

    enum Kind {
        INDEX, CACHE, EXPUNGE_LIST, RENAMED_LIST, MESSAGE, MAILBOX_DIRECTORY
    }

    enum Damage {
        EMPTY, HALF, GARBLED, DELETED, DIRECTORY
    }

    static Stream<Arguments> cells() {
        List<Arguments> out = new ArrayList<>();
        for (Kind k : Kind.values()) {
            for (Damage d : Damage.values()) {
                if (k == Kind.MAILBOX_DIRECTORY && (d == Damage.HALF || d == Damage.DIRECTORY)) {
                    continue; // does not apply to a directory
                }
                out.add(Arguments.of(k, d, ExpungeFile.VERSION));
                if (k == Kind.EXPUNGE_LIST || k == Kind.RENAMED_LIST) {
                    out.add(Arguments.of(k, d, 2));
                }
            }
        }
        return out.stream();
    }

    private Path target(StoreFixture f, Kind k) {
        return switch (k) {
            case INDEX -> f.dir.resolve(MailboxIndex.FILE);
            case CACHE -> f.dir.resolve(CacheFile.FILE);
            case EXPUNGE_LIST -> f.dir.resolve(ExpungeFile.FILE);
            case RENAMED_LIST -> f.dir.resolve(ExpungeFile.FILE + "." + StoreFixture.WAITING_STAMP);
            case MESSAGE -> Mailbox.messageFile(f.dir, DAMAGED_UID);
            case MAILBOX_DIRECTORY -> f.dir;
        };
    }

    /** What the detection must name. */
    private static String label(Kind k, Damage d) {
        return switch (k) {
            case INDEX -> d == Damage.DELETED ? "Mailbox does not exist" : "store.idx";
            case CACHE -> "store.cache";
            case EXPUNGE_LIST -> "store.exp";
            // a deleted renamed list cannot be named: the files it named can (in no index and no list)
            case RENAMED_LIST -> d == Damage.DELETED ? "message file of UID 3 is in no index and no expunge list"
                    : "store.exp." + StoreFixture.WAITING_STAMP;
            case MESSAGE -> "message file of UID " + DAMAGED_UID;
            case MAILBOX_DIRECTORY -> d == Damage.DELETED ? "Mailbox does not exist" : "mailbox directory mbox is not a directory";
        };
    }

    static void damage(Path p, Damage d) throws IOException {
        boolean isDir = Files.isDirectory(p);
        switch (d) {
            case EMPTY -> {
                if (isDir) {
                    ClassicStore.deleteRecursively(p);
                    Files.write(p, new byte[0]);
                } else {
                    Disk.truncate(p, 0);
                }
            }
            case HALF -> Disk.truncate(p, Files.size(p) / 2);
            case GARBLED -> {
                if (isDir) {
                    ClassicStore.deleteRecursively(p);
                    Files.write(p, garbage(new byte[64]));
                } else {
                    byte[] b = Files.readAllBytes(p);
                    int at = (int) Math.max(0, Math.min(b.length / 3, b.length - 64));
                    for (int i = at; i < Math.min(b.length, at + 64); i++) {
                        b[i] = (byte) (b[i] ^ (0x5A + i % 37)); // never 0: every byte changes
                    }
                    Files.write(p, b);
                }
            }
            case DELETED -> ClassicStore.deleteRecursively(p);
            case DIRECTORY -> {
                ClassicStore.deleteRecursively(p);
                Files.createDirectories(p.resolve("in-the-way"));
            }
        }
    }

    private static byte[] garbage(byte[] b) {
        new java.util.Random(7).nextBytes(b);
        return b;
    }

    /** Open, then fetch every live message, then the full check: the first format error met, or null. */
    private static String detect(StoreFixture f) throws IOException {
        try (Mailbox mb = f.open()) {
            for (int uid : LIVE) {
                try {
                    mb.fetch(uid);
                } catch (MailboxFormatException e) {
                    return e.getMessage();
                }
            }
            List<String> problems = mb.verify();
            return problems.isEmpty() ? null : problems.get(0);
        } catch (MailboxFormatException e) {
            return e.getMessage();
        }
    }

    @ParameterizedTest(name = "{0} {1} (expunge lists of version {2})")
    @MethodSource("cells")
    void every_damage_of_every_file_is_detected_and_healed_by_repair(Kind kind, Damage damage, int listVersion) throws Exception {
        Path dir = tmp.resolve("mbox");
        StoreFixture f = StoreFixture.lifecycle(dir);
        Path target = target(f, kind);
        for (Path list : List.of(target(f, Kind.EXPUNGE_LIST), target(f, Kind.RENAMED_LIST))) {
            assertThat(ExpungeFile.readHeader(list).version()).isEqualTo(ExpungeFile.VERSION);
            if (listVersion == 2) {
                ExpungeListV2.rewrite(list);
            }
        }
        byte[] before = kind == Kind.MESSAGE ? Files.readAllBytes(target) : null;
        damage(target, damage);
        byte[] damagedBytes = kind == Kind.MESSAGE && Files.isRegularFile(target) ? Files.readAllBytes(target) : null;

        String found = detect(f);
        assertThat(found).as("detected").isNotNull().doesNotContain("\n").contains(label(kind, damage));

        Mailbox.RepairResult r;
        try (var lock = Mailbox.lockForRepair(dir)) {
            r = Mailbox.rebuild(dir, StoreFixture.UID_VALIDITY, 13, StoreFixture.T0 + 10_000_000, "20260301130000");
        }
        assertThat(r.notes()).allSatisfy(n -> assertThat(n).doesNotContain("\n"));

        boolean messageLost = kind == Kind.MESSAGE;
        boolean everythingLost = kind == Kind.MAILBOX_DIRECTORY;
        boolean quarantined = kind == Kind.MESSAGE && (damage == Damage.EMPTY || damage == Damage.HALF || damage == Damage.GARBLED);
        List<Integer> expected = LIVE.stream().filter(u -> !everythingLost && !(messageLost && u == DAMAGED_UID)).sorted().toList();
        try (Mailbox mb = f.open()) {
            assertThat(mb.verify()).isEmpty();
            assertThat(StoreFixture.uids(mb)).containsExactlyElementsOf(expected);
            for (int uid : expected) {
                assertThat(mb.fetch(uid)).as("UID %d", uid).isEqualTo(f.bytes.get(uid));
            }
            for (int uid : EXPUNGED) {
                assertThatThrownBy(() -> mb.fetch(uid)).isInstanceOf(NoSuchMessageException.class);
            }
            if (messageLost) {
                assertThatThrownBy(() -> mb.fetch(DAMAGED_UID)).isInstanceOf(NoSuchMessageException.class);
            }
            assertThat(mb.index().header().nextUid()).isEqualTo(13);
            if (kind != Kind.INDEX && !everythingLost) { // the index survived: so did the flags
                assertThat(StoreFixture.flags(mb, 7)).isEqualTo(Flags.DELETED);
                assertThat(StoreFixture.flags(mb, 8)).isEqualTo(Flags.SEEN);
            }
        }
        List<Mailbox.Quarantined> q = Mailbox.quarantined(dir);
        if (quarantined) {
            assertThat(q).singleElement().satisfies(x -> {
                assertThat(x.uid()).isEqualTo(DAMAGED_UID);
                assertThat(x.size()).isEqualTo(damagedBytes.length);
                assertThat(x.when()).isEqualTo(StoreFixture.T0 + 10_000_000);
                assertThat(x.reason()).contains(damage == Damage.GARBLED ? "checksum" : "size");
                assertThat(Files.readAllBytes(x.file())).isEqualTo(damagedBytes).isNotEqualTo(before);
            });
            assertThat(r.quarantined()).extracting(Mailbox.Quarantined::uid).containsExactly(DAMAGED_UID);
            assertThat(r.damaged()).isEqualTo(1);
        } else {
            assertThat(q).isEmpty();
            assertThat(r.damaged()).isZero();
        }

        // the expunged messages' files still go: Clean, then Remove of every list
        try (Mailbox mb = f.open()) {
            mb.clean("20260301140000");
            mb.remove(s -> true);
            assertThat(mb.cleanupStamps()).isEmpty();
        }
        for (int uid : EXPUNGED) {
            assertThat(Mailbox.messageFile(dir, uid)).as("UID %d", uid).doesNotExist();
        }
        for (int uid : expected) {
            assertThat(Files.readAllBytes(Mailbox.messageFile(dir, uid))).isEqualTo(f.bytes.get(uid));
        }
        try (Mailbox mb = f.open()) {
            assertThat(mb.verify()).isEmpty();
            assertThat(StoreFixture.uids(mb)).containsExactlyElementsOf(expected);
        }
        assertThat(Mailbox.quarantined(dir)).hasSize(quarantined ? 1 : 0); // never deleted by the store
    }

    @Test
    void a_store_exp_emptied_or_deleted_when_nothing_is_committed_to_it_is_harmless() throws Exception {
        Path dir = tmp.resolve("mbox");
        StoreFixture f = StoreFixture.lifecycle(dir);
        try (Mailbox mb = f.open()) {
            assertThat(mb.clean("20260301150000")).isEqualTo("20260301150000"); // store.exp renamed: nothing committed now
            assertThat(mb.pendingExpunged()).isZero();
        }
        Path exp = dir.resolve(ExpungeFile.FILE);
        assertThat(exp).doesNotExist();
        // what a crash leaves when it cuts short the creation of a new store.exp: an empty file
        Files.write(exp, new byte[0]);
        try (Mailbox mb = f.open()) {
            assertThat(mb.verify()).isEmpty();
            assertThat(mb.expunge(r -> r.uid() == 7, StoreFixture.T0 + 400_000).messages()).isEqualTo(1);
            assertThat(mb.pendingExpunged()).isEqualTo(1);
        }
        assertThat(ExpungeFile.read(exp)).extracting(ExpungeFile.Entry::uid).containsExactly(7);
        try (Mailbox mb = f.open()) {
            assertThat(mb.clean("20260301160000")).isNotNull();
        }
        // and none at all
        assertThat(exp).doesNotExist();
        try (Mailbox mb = f.open()) {
            assertThat(mb.verify()).isEmpty();
            assertThat(mb.fetch(8)).isEqualTo(f.bytes.get(8));
        }
    }
}
