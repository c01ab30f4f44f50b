package org.mstore;

import org.junit.jupiter.api.Test;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

/**
 * The layering of DESIGN.md, enforced:
 *
 * <pre>
 *   clients (cli, console, tools, imap, lmtp)  call the API only
 *        |
 *       api  &lt;-- engine (wires a backend to the rules, implements the API)
 *                    |
 *                  rules (mailbox, purge, expire)  written once against the backend SPI
 *                    |
 *                 backend SPI  &lt;-- backends (classic: store, db, mboxlist, queue, config; cassandra)
 * </pre>
 *
 * The protocol servers (imap, lmtp) share {@code protocol}: text rules of their wire that are no part of the API.
 * The one exception is the benchmark ({@code tools.Benchmark}), which measures the classic backend's parts directly.
 */
class ArchitectureTest {
    private static final JavaClasses CLASSES = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("org.mstore");

    private static final String[] CLIENTS = {"org.mstore.cli..", "org.mstore.console..", "org.mstore.tools..", "org.mstore.imap..",
            "org.mstore.lmtp.."};
    private static final String[] BACKENDS = {"org.mstore.classic..", "org.mstore.cassandra..", "org.mstore.store..", "org.mstore.db..",
            "org.mstore.mboxlist..", "org.mstore.queue..", "org.mstore.config.."};

    private static final DescribedPredicate<JavaClass> THE_BENCHMARK = new DescribedPredicate<>("the benchmark") {
        @Override
        public boolean test(JavaClass c) {
            return c.getName().startsWith("org.mstore.tools.Benchmark");
        }
    };

    @Test
    void the_layers_call_downwards_only() {
        layeredArchitecture().consideringOnlyDependenciesInLayers()
                .layer("Clients").definedBy(CLIENTS)
                .layer("Engine").definedBy("org.mstore.engine..")
                .layer("Rules").definedBy("org.mstore.mailbox..", "org.mstore.purge..", "org.mstore.expire..", "org.mstore.users..")
                .layer("Backends").definedBy(BACKENDS)
                .layer("Spi").definedBy("org.mstore.backend..")
                .layer("Log").definedBy("org.mstore.log..")
                .layer("Fs").definedBy("org.mstore.fs..")
                .layer("Api").definedBy("org.mstore.api..")
                .layer("Protocol").definedBy("org.mstore.protocol..")
                .whereLayer("Clients").mayNotBeAccessedByAnyLayer()
                .whereLayer("Engine").mayNotBeAccessedByAnyLayer()
                .whereLayer("Rules").mayOnlyBeAccessedByLayers("Engine")
                .whereLayer("Backends").mayOnlyBeAccessedByLayers("Engine")
                .whereLayer("Spi").mayOnlyBeAccessedByLayers("Engine", "Rules", "Backends")
                .whereLayer("Log").mayOnlyBeAccessedByLayers("Engine", "Rules", "Backends")
                .whereLayer("Fs").mayOnlyBeAccessedByLayers("Engine", "Rules", "Backends", "Log")
                .whereLayer("Protocol").mayOnlyBeAccessedByLayers("Clients")
                .ignoreDependency(THE_BENCHMARK, DescribedPredicate.alwaysTrue())
                .check(CLASSES);
    }

    @Test
    void clients_call_the_api_and_nothing_else_of_the_store() {
        noClasses().that().resideInAnyPackage(CLIENTS).and(DescribedPredicate.not(THE_BENCHMARK))
                .should().dependOnClassesThat().resideInAnyPackage(BACKENDS)
                .orShould().dependOnClassesThat().resideInAnyPackage("org.mstore.engine..", "org.mstore.mailbox..", "org.mstore.purge..",
                        "org.mstore.expire..", "org.mstore.users..", "org.mstore.backend..", "org.mstore.log..", "org.mstore.fs..", "org.h2..", "java.sql..")
                .check(CLASSES);
    }

    @Test
    void the_rules_know_no_backend() {
        noClasses().that().resideInAnyPackage("org.mstore.mailbox..", "org.mstore.purge..", "org.mstore.expire..", "org.mstore.users..")
                .should().dependOnClassesThat().resideInAnyPackage(BACKENDS)
                .orShould().dependOnClassesThat().resideInAnyPackage("org.h2..", "java.sql..")
                .check(CLASSES);
    }

    @Test
    void the_api_depends_on_nothing_of_the_project() {
        noClasses().that().resideInAPackage("org.mstore.api..")
                .should().dependOnClassesThat().resideOutsideOfPackages("org.mstore.api..", "java..")
                .check(CLASSES);
    }

    @Test
    void the_packages_are_free_of_cycles() {
        slices().matching("org.mstore.(*)..").should().beFreeOfCycles().check(CLASSES);
    }

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
                        "org.mstore.mboxlist..", "org.mstore.engine..", "org.mstore.purge..", "org.mstore.db..", "org.mstore.classic..")
                .check(CLASSES);
    }

    @Test
    void logging_goes_through_slf4j_only() {
        // the console's launcher only quiets JavaFX's own java.util.logging warning; it logs nothing itself
        noClasses().that().doNotHaveFullyQualifiedName("org.mstore.console.ConsoleLauncher")
                .should().dependOnClassesThat().resideInAnyPackage("ch.qos.logback..", "java.util.logging..")
                .check(CLASSES);
    }

    @Test
    void only_the_cli_writes_to_standard_output() {
        noClasses().that().resideOutsideOfPackages("org.mstore.cli..", "org.mstore.console..")
                .should().accessField(System.class, "out")
                .check(CLASSES);
    }
}
