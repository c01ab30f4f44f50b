package org.mstore.console;

import javafx.application.Application;

/**
 * Starts the console from a plain class (not an {@link Application}), so that the runnable jar can run it
 * with JavaFX on the class path.
 */
public final class ConsoleLauncher {
    private ConsoleLauncher() {
    }

    public static void main(String[] args) {
        Application.launch(ConsoleApp.class, args);
    }
}
