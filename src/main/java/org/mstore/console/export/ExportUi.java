package org.mstore.console.export;

import java.io.File;
import java.nio.file.Path;
import java.util.function.Consumer;

import javafx.scene.Node;
import javafx.scene.input.Clipboard;
import javafx.scene.input.ClipboardContent;
import javafx.stage.FileChooser;

/** The views' side of export and "Copy as command": the file chooser and the clipboard. */
public final class ExportUi {
    private ExportUi() {
    }

    /** Asks where to save a CSV file; calls {@code then} with the chosen path (not when cancelled). */
    public static void chooseCsv(Node owner, String suggested, Consumer<Path> then) {
        FileChooser fc = new FileChooser();
        fc.setTitle("Export to CSV");
        fc.setInitialFileName(suggested);
        fc.getExtensionFilters().addAll(new FileChooser.ExtensionFilter("CSV files", "*.csv"),
                new FileChooser.ExtensionFilter("All files", "*"));
        File f = fc.showSaveDialog(owner.getScene() == null ? null : owner.getScene().getWindow());
        if (f != null) {
            then.accept(f.toPath());
        }
    }

    /** Puts the command on the clipboard; returns what to tell the administrator. */
    public static String copy(Commands.Line line) {
        if (line == null || line.text().isEmpty()) {
            return "Nothing to copy: select an entry first";
        }
        ClipboardContent c = new ClipboardContent();
        c.putString(line.text());
        Clipboard.getSystemClipboard().setContent(c);
        return "Copied: " + line.text().replace("\n", "  ;  ") + (line.note().isEmpty() ? "" : " (" + line.note() + ")");
    }
}
