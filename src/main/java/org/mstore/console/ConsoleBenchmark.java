package org.mstore.console;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;

import org.mstore.api.Action;
import org.mstore.api.MessageStore;
import org.mstore.api.OpenOptions;
import org.mstore.api.QueueEntry;
import org.mstore.api.Stores;
import org.mstore.queue.MaintenanceQueue;

import javafx.application.Platform;
import javafx.scene.Scene;
import javafx.scene.control.TableView;
import javafx.stage.Stage;

/**
 * The console with a million queue entries: time to the first rows, scrolling to random places, filtering,
 * live updates, the longest stall of the JavaFX thread meanwhile, and the heap. Run it with the heap capped
 * at what the console is allowed (the figures are in the README):
 *
 * <pre>
 * xvfb-run -a java -Xmx512m -cp target/mstore.jar org.mstore.console.ConsoleBenchmark [entries]
 * </pre>
 */
public final class ConsoleBenchmark {
    private static final FrameGaps gaps = new FrameGaps();

    private ConsoleBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int entries = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        Path dir = Files.createTempDirectory("mstore-console-bench");
        Path root = dir.resolve("store");
        try {
            long t0 = System.nanoTime();
            try (MessageStore e = Stores.init(root, OpenOptions.cli("bench"))) {
                fill(e, entries);
            }
            System.out.printf(Locale.ROOT, "queue filled: %,d entries in %.1f s%n", entries, secs(t0));
            run(root, entries);
        } catch (Exception | Error e) {
            e.printStackTrace();
            System.exit(1);
        } finally {
            deleteRecursively(dir);
        }
        Platform.exit();
        System.exit(0);
    }

    private static void fill(MessageStore e, int entries) {
        Action[] actions = Action.values();
        SplittableRandom r = new SplittableRandom(42);
        List<org.mstore.api.QueueRequest> batch = new ArrayList<>();
        long now = System.currentTimeMillis();
        for (int i = 0; i < entries; i++) {
            String mailbox = "user/u" + String.format("%06d", i / 4) + (i % 4 == 0 ? "" : "/Folder" + (i % 4));
            batch.add(new org.mstore.api.QueueRequest(mailbox, actions[r.nextInt(actions.length)], now - r.nextInt(86_400_000), false));
            if (batch.size() == 50_000) {
                e.queue().requestAll(batch);
                batch.clear();
            }
        }
        e.queue().requestAll(batch);
    }

    private static void run(Path root, int entries) throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        Platform.startup(started::countDown);
        started.await();
        FxTaskExecutor executor = new FxTaskExecutor();
        AtomicReference<MainViewModel> vmRef = new AtomicReference<>();
        AtomicReference<MainWindow> winRef = new AtomicReference<>();
        long[] openedAt = new long[1];
        Platform.runLater(() -> {
            MainViewModel vm = new MainViewModel(executor, new RecentStores(root.resolveSibling("recent")), true);
            MainWindow w = new MainWindow(vm, executor, p -> { });
            Stage stage = new Stage();
            Scene scene = new Scene(w, 1200, 800);
            Themes.apply(scene, false);
            stage.setScene(scene);
            stage.show();
            gaps.start();
            vmRef.set(vm);
            winRef.set(w);
            openedAt[0] = System.nanoTime();
            vm.open(root, false);
        });
        await(() -> winRef.get() != null && winRef.get().queueView() != null && firstRowShown(winRef.get().queueView().table()));
        double firstRows = secs(openedAt[0]);
        Thread.sleep(2000); // the rest of the opening (counts, the other views' data) settles
        long gapOpen = resetGap();
        TableView<QueueEntry> table = winRef.get().queueView().table();
        StoreSession s = vmRef.get().sessionProperty().get();
        org.mstore.console.queue.QueuePage page = s.queue().rows();
        long total = onFx(() -> page.totalProperty().get());
        System.out.printf(Locale.ROOT, "first rows shown: %.3f s after open (%,d entries, %,d rows on the page); longest UI stall while opening %.0f ms%n",
                firstRows, total, onFx(table.getItems()::size), gapOpen / 1e6);

        // Jump to random pages (the page-navigator and "go to row"); each time wait until the page's rows are there.
        SplittableRandom r = new SplittableRandom(7);
        List<Double> jumps = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            long row = r.nextLong(total);
            long wantStart = row / page.pageSize() * page.pageSize();
            long t = System.nanoTime();
            Platform.runLater(() -> page.showRow(row));
            await(() -> onFx(() -> page.pageStartProperty().get() == wantStart && !page.isEmpty()));
            jumps.add(secs(t) * 1000);
        }
        jumps.sort(null);
        long gapJump = resetGap();
        // Scroll through a page, row by row and by whole screens, as a mouse wheel or a drag would.
        long t = System.nanoTime();
        for (int i = 0; i < page.pageSize(); i += 7) {
            int row = i;
            onFx(() -> {
                table.scrollTo(row);
                table.layout();
                return null;
            });
        }
        double scrollPage = secs(t);
        long gapScroll = resetGap();
        System.out.printf(Locale.ROOT, "jump to a random page until shown: median %.0f ms, worst %.0f ms (40 jumps); longest UI stall %.0f ms%n",
                jumps.get(jumps.size() / 2), jumps.get(jumps.size() - 1), gapJump / 1e6);
        System.out.printf(Locale.ROOT, "scroll through a page (%d steps): %.3f s; longest UI stall %.0f ms%n",
                page.pageSize() / 7 + 1, scrollPage, gapScroll / 1e6);

        // Filter by mailbox text, then by action.
        t = System.nanoTime();
        Platform.runLater(() -> {
            s.queue().mailboxFilterProperty().set("u0123");
            s.queue().applyFilter();
        });
        await(() -> onFx(() -> page.totalProperty().get() > 0 && page.totalProperty().get() < entries / 100
                && !page.isEmpty() && page.get(0).mailbox().contains("u0123")));
        double filterText = secs(t);
        t = System.nanoTime();
        Platform.runLater(() -> {
            s.queue().mailboxFilterProperty().set("");
            s.queue().shownProperty(Action.CLEAN).set(false);
        });
        await(() -> onFx(() -> page.totalProperty().get() > entries / 2 && !page.isEmpty()
                && page.stream().noneMatch(e -> e.action() == Action.CLEAN)));
        double filterAction = secs(t);
        long gapFilter = resetGap();
        System.out.printf(Locale.ROOT, "filter by mailbox text: %.3f s; by action: %.3f s; longest UI stall %.0f ms%n",
                filterText, filterAction, gapFilter / 1e6);
        Platform.runLater(() -> {
            s.queue().shownProperty(Action.CLEAN).set(true);
            page.lastPage();
        });
        await(() -> onFx(() -> page.totalProperty().get() >= entries && !page.isEmpty() && !page.hasNext()));

        // Live: another process adds entries; they are counted, and shown on the last page, without a reload.
        long before = onFx(() -> page.totalProperty().get());
        t = System.nanoTime();
        try (MessageStore other = Stores.open(root, new OpenOptions(Clock.systemDefaultZone(), "bench", false, false))) {
            List<org.mstore.api.QueueRequest> more = new ArrayList<>();
            for (int i = 0; i < 1000; i++) {
                more.add(new org.mstore.api.QueueRequest("user/live" + i, Action.CLEAN, System.currentTimeMillis(), false));
            }
            other.queue().requestAll(more);
        }
        await(() -> onFx(() -> page.totalProperty().get() == before + 1000));
        System.out.printf(Locale.ROOT, "1,000 entries added by another process counted after %.3f s; longest UI stall %.0f ms%n",
                secs(t), resetGap() / 1e6);

        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(200);
        }
        Runtime rt = Runtime.getRuntime();
        System.out.printf(Locale.ROOT, "heap: %.0f MB used after GC (max %.0f MB); rows held in memory: %d%n",
                (rt.totalMemory() - rt.freeMemory()) / 1048576.0, rt.maxMemory() / 1048576.0, onFx(page::size));
        vmRef.get().closeNow();
        executor.shutdown();
    }

    private static boolean firstRowShown(TableView<QueueEntry> t) {
        return !t.getItems().isEmpty();
    }

    private static long resetGap() {
        return gaps.reset();
    }

    private static <T> T onFx(java.util.concurrent.Callable<T> c) {
        java.util.concurrent.FutureTask<T> f = new java.util.concurrent.FutureTask<>(c);
        Platform.runLater(f);
        try {
            return f.get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static void await(BooleanSupplier cond) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("timed out");
            }
            Thread.sleep(5);
        }
    }

    private static double secs(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }

    private static void deleteRecursively(Path dir) throws java.io.IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
