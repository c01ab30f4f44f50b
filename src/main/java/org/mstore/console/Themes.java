package org.mstore.console;

import javafx.scene.Scene;

/** The light and dark themes: the same console.css over different looked-up colours. */
public final class Themes {
    private Themes() {
    }

    public static void apply(Scene scene, boolean dark) {
        scene.getStylesheets().setAll(
                Themes.class.getResource(dark ? "dark.css" : "light.css").toExternalForm(),
                Themes.class.getResource("console.css").toExternalForm());
    }
}
