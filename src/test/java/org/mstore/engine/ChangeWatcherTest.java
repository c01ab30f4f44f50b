package org.mstore.engine;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mstore.api.Action;
import org.mstore.api.OpenOptions;
import org.mstore.api.StoreEvent;
import org.mstore.testing.SettableClock;
import org.mstore.testing.TestStore;

import static org.assertj.core.api.Assertions.assertThat;

class ChangeWatcherTest {
    @TempDir
    Path tmp;

    @Test
    void entries_that_were_there_before_the_watcher_started_are_not_announced_as_added() throws Exception {
        try (TestStore s = TestStore.create(tmp)) {
            for (int i = 0; i < 10; i++) {
                s.engine.backend().queue().enqueue("user/u" + i, Action.CLEAN, s.clock.millis(), false);
            }
            SettableClock clock = s.clock;
            try (Engine watching = Engine.open(s.root, new OpenOptions(clock, "test", false, true))) {
                List<StoreEvent> events = new ArrayList<>();
                watching.subscribe(events::add);
                watching.pollChanges();
                assertThat(events).noneMatch(e -> e instanceof StoreEvent.EntriesAdded);

                s.engine.backend().queue().enqueue("user/new", Action.REPAIR, clock.millis(), false);
                watching.pollChanges();
                assertThat(events).filteredOn(e -> e instanceof StoreEvent.EntriesAdded)
                        .singleElement().satisfies(e -> assertThat(((StoreEvent.EntriesAdded) e).entries())
                                .extracting(q -> q.mailbox()).containsExactly("user/new"));
            }
        }
    }
}
