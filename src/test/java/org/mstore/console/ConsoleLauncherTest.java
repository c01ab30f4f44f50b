package org.mstore.console;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Without a window system the console says in one line what to install or run, not JavaFX's own error. */
class ConsoleLauncherTest {
    @Test
    void a_missing_gtk_says_which_package_to_install() {
        assertThat(ConsoleLauncher.explain(new RuntimeException(new UnsatisfiedLinkError("Unable to load glass GTK library"))))
                .contains("GTK 3").contains("apt-get install libgtk-3-0");
    }

    @Test
    void no_display_says_to_use_xvfb_run() {
        assertThat(ConsoleLauncher.explain(new UnsupportedOperationException("Unable to open DISPLAY"))).contains("xvfb-run");
    }

    @Test
    void any_other_failure_is_not_explained_away() {
        assertThat(ConsoleLauncher.explain(new IllegalStateException("something else"))).isNull();
    }
}
