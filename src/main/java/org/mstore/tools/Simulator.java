package org.mstore.tools;

import java.io.IOException;
import java.time.Clock;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;

import org.mstore.api.DiskFull;
import org.mstore.api.MailboxInfo;
import org.mstore.api.Mailboxes;
import org.mstore.api.MessageStore;
import org.mstore.api.NewMessage;
import org.mstore.api.NoSuchMailboxException;
import org.mstore.api.UidSet;

/**
 * {@code simulate}: users appending, deleting and expunging at random, paced at {@code rate} operations per
 * second, so that the queue moves as it would on a live server (Clean entries appear as mailboxes pass
 * {@code store.cleanupsize}, and impurge's work follows).
 */
public final class Simulator {
    /** Counts of what was done. */
    public static final class Stats {
        public long appends;
        public long deletes;
        public long expunges;
        public long errors;
        /** The last error a simulated user got, in one line (null if none). */
        public String lastError;

        @Override
        public String toString() {
            return appends + " appends, " + deletes + " deletes, " + expunges + " expunges, " + errors + " errors"
                    + (lastError == null ? "" : " (last: " + lastError + ")");
        }
    }

    private final MessageStore engine;
    private final SplittableRandom random;
    private final MessageGenerator gen;

    public Simulator(MessageStore engine, long seed) {
        this.engine = engine;
        this.random = new SplittableRandom(seed);
        this.gen = new MessageGenerator(seed ^ 0x5DEECE66DL);
    }

    /** Runs {@code operations} operations back to back (no pacing): the deterministic core. */
    public Stats runOperations(int operations) throws IOException {
        Stats s = new Stats();
        List<MailboxInfo> boxes = engine.mailboxes().list();
        if (boxes.isEmpty()) {
            throw new IllegalStateException("the store has no mailboxes; create some (generate, or mboxutil -c) first");
        }
        for (int i = 0; i < operations; i++) {
            step(boxes, s);
        }
        return s;
    }

    /** Runs for {@code seconds} at {@code rate} operations per second; reports progress once a second. */
    public Stats run(double rate, double seconds, Consumer<Stats> progress) throws IOException, InterruptedException {
        if (rate <= 0 || seconds <= 0) {
            throw new IllegalArgumentException("simulate needs --rate > 0 and --seconds > 0");
        }
        Stats s = new Stats();
        List<MailboxInfo> boxes = engine.mailboxes().list();
        if (boxes.isEmpty()) {
            throw new IllegalStateException("the store has no mailboxes; create some (generate, or mboxutil -c) first");
        }
        Clock clock = Clock.systemUTC();
        long start = clock.millis();
        long end = start + (long) (seconds * 1000);
        long done = 0;
        long lastReport = start;
        while (true) {
            long now = clock.millis();
            if (now >= end) {
                break;
            }
            long due = (long) ((now - start) / 1000.0 * rate) + 1;
            while (done < due) {
                step(boxes, s);
                done++;
            }
            if (now - lastReport >= 1000 && progress != null) {
                progress.accept(s);
                lastReport = now;
            }
            long next = start + (long) ((done) * 1000 / rate);
            Thread.sleep(Math.max(1, Math.min(next - clock.millis(), 200)));
        }
        return s;
    }

    private void step(List<MailboxInfo> boxes, Stats s) throws IOException {
        MailboxInfo box = boxes.get(random.nextInt(boxes.size()));
        Mailboxes mb = engine.mailboxes();
        int roll = random.nextInt(100);
        try {
            if (roll < 55) {
                int n = 1 + random.nextInt(3);
                for (int i = 0; i < n; i++) {
                    MessageGenerator.Generated g = gen.next(box.name().split("/")[1]);
                    mb.append(box.name(), List.of(new NewMessage(g.bytes(), engine.clock().millis(), g.flags())));
                }
                s.appends += n;
            } else if (roll < 88) {
                MailboxInfo cur = mb.get(box.name());
                if (cur.nextUid() > 1) {
                    int hi = (int) cur.nextUid() - 1;
                    int from = 1 + random.nextInt(hi);
                    int to = Math.min(hi, from + random.nextInt(40));
                    s.deletes += mb.setDeleted(box.name(), UidSet.parse(from + ":" + to), true);
                }
            } else {
                s.expunges += mb.expunge(box.name()).messages();
            }
        } catch (NoSuchMailboxException | IOException e) {
            // what a real client would be told and go on after: a corrupt mailbox (a Repair is queued), one deleted
            // meanwhile, a full disk, a mailbox busy for too long
            failed(s, box, e);
        } catch (RuntimeException e) {
            // the mailbox list's database could not write (as full for a client as the files), or the store cannot be
            // reached for now (a Cassandra node down): an error for this operation, and the next one tries again
            if (!DiskFull.causes(e) && !engine.unreachable(e)) {
                throw e;
            }
            failed(s, box, e);
        }
    }

    private static void failed(Stats s, MailboxInfo box, Exception e) {
        s.errors++;
        s.lastError = box.name() + ": " + String.valueOf(e.getMessage()).lines().findFirst().orElse("");
    }
}
