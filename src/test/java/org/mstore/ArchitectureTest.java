package org.mstore;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** The layering of DESIGN.md, enforced: console and cli call engine; nothing below console knows JavaFX. */
class ArchitectureTest {
    private static final JavaClasses CLASSES = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("org.mstore");

    @Test
    void engine_code_never_imports_javafx() {
        noClasses().that().resideOutsideOfPackage("org.mstore.console..")
                .should().dependOnClassesThat().resideInAnyPackage("javafx..", "org.controlsfx..")
                .check(CLASSES);
    }

    @Test
    void the_store_layer_knows_neither_h2_nor_the_queue() {
        noClasses().that().resideInAPackage("org.mstore.store..")
                .should().dependOnClassesThat().resideInAnyPackage("org.h2..", "java.sql..", "org.mstore.queue..",
                        "org.mstore.mboxlist..", "org.mstore.engine..", "org.mstore.purge..")
                .check(CLASSES);
    }

    @Test
    void nothing_below_the_engine_calls_up_into_it() {
        noClasses().that().resideInAnyPackage("org.mstore.store..", "org.mstore.db..", "org.mstore.mboxlist..",
                        "org.mstore.queue..", "org.mstore.config..", "org.mstore.log..", "org.mstore.mailbox..",
                        "org.mstore.purge..", "org.mstore.expire..")
                .should().dependOnClassesThat().resideInAnyPackage("org.mstore.engine..", "org.mstore.cli..", "org.mstore.console..")
                .check(CLASSES);
    }

    @Test
    void the_engine_knows_neither_the_cli_nor_the_console() {
        noClasses().that().resideInAnyPackage("org.mstore.engine..", "org.mstore.tools..")
                .should().dependOnClassesThat().resideInAnyPackage("org.mstore.cli..", "org.mstore.console..")
                .check(CLASSES);
    }

    @Test
    void logging_goes_through_slf4j_only() {
        noClasses().should().dependOnClassesThat().resideInAnyPackage("ch.qos.logback..", "java.util.logging..")
                .check(CLASSES);
    }

    @Test
    void only_the_cli_writes_to_standard_output() {
        noClasses().that().resideOutsideOfPackages("org.mstore.cli..", "org.mstore.console..")
                .should().accessField(System.class, "out")
                .check(CLASSES);
    }
}
