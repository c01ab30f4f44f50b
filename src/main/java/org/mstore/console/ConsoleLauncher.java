package org.mstore.console;

import javafx.application.Application;

/**
 * Starts the console from a plain class (not an {@link Application}), so that the runnable jar can run it
 * with JavaFX on the class path.
 */
public final class ConsoleLauncher {
    private ConsoleLauncher() {
    }

    /**
     * JavaFX warns "Unsupported JavaFX configuration: classes were loaded from 'unnamed module'" at every start when it
     * runs from the class path, as this jar does on purpose (one runnable jar); the warning says nothing an
     * administrator can act on. The logger is kept here so that its level stays set.
     */
    private static final java.util.logging.Logger PLATFORM_LOG = java.util.logging.Logger.getLogger("com.sun.javafx.application.PlatformImpl");
    private static final java.util.logging.Logger JAVAFX_LOG = java.util.logging.Logger.getLogger("javafx");

    public static void main(String[] args) {
        PLATFORM_LOG.setLevel(java.util.logging.Level.SEVERE);
        JAVAFX_LOG.setLevel(java.util.logging.Level.SEVERE);
        try {
            Application.launch(ConsoleApp.class, args);
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            String why = explain(e);
            if (why == null) {
                throw e;
            }
            System.err.println("mstore console: " + why);
            System.exit(1);
        }
    }

    /** What to do when the window system cannot be used (no display, no GTK 3), in one line; null if it is not that. */
    static String explain(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String m = String.valueOf(t.getMessage());
            if (m.contains("glass GTK") || m.contains("libgtk") || m.contains("GTK")) {
                return "cannot load GTK 3, which JavaFX needs: install it (Debian/Ubuntu: apt-get install libgtk-3-0) and try again";
            }
            if (m.contains("Unable to open DISPLAY") || m.contains("DISPLAY")) {
                return "no display: run it on a desktop, or on a server under xvfb-run (apt-get install xvfb; xvfb-run -a mstore console)";
            }
        }
        return null;
    }
}
