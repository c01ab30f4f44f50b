package org.mstore.fs;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Named crash points, the way SQLite's and FoundationDB's crash tests place them: a call to {@link #hit} marks a
 * step between two writes where a crash must leave the store recoverable. In production it costs one volatile read.
 *
 * <ul>
 *   <li>{@code -Dmstore.crashpoint=NAME} halts the JVM ({@link Runtime#halt}, no shutdown hooks, nothing flushed) the
 *       first time NAME is hit; {@code NAME#N} at the N-th hit.</li>
 *   <li>{@code -Dmstore.crashpoint.trace=FILE} appends every name hit to FILE, one per line: a test runs a scenario once
 *       with a trace to learn which points it passes, then once per point, halted there.</li>
 * </ul>
 *
 * Names are {@code <operation>.<step>}, e.g. {@code expunge.after-exp-written}.
 *
 * <p>In-process tests can also make a point fail instead of halting ({@link #injectFault}): the step throws an
 * {@link java.io.UncheckedIOException} each time it is reached, as a disk that refuses a write would, until
 * {@link #clearFaults} — for the rules about tasks that keep failing.
 */
public final class CrashPoint {
    /** The exit status of a process halted at a crash point. */
    public static final int EXIT_STATUS = 86;
    private static final String TARGET;
    private static final int TARGET_HIT;
    private static final Path TRACE;
    private static final ConcurrentHashMap<String, AtomicInteger> HITS = new ConcurrentHashMap<>();

    static {
        String spec = System.getProperty("mstore.crashpoint", "");
        int hash = spec.lastIndexOf('#');
        TARGET = spec.isEmpty() ? null : hash < 0 ? spec : spec.substring(0, hash);
        TARGET_HIT = hash < 0 ? 1 : Integer.parseInt(spec.substring(hash + 1));
        String trace = System.getProperty("mstore.crashpoint.trace", "");
        TRACE = trace.isEmpty() ? null : Path.of(trace);
    }

    private static final java.util.Set<String> FAULTS = ConcurrentHashMap.newKeySet();
    private static volatile boolean faulty;

    private CrashPoint() {
    }

    /** Makes every later hit of {@code name} in this JVM throw (tests only). */
    public static void injectFault(String name) {
        FAULTS.add(name);
        faulty = true;
    }

    /** Removes every injected fault. */
    public static void clearFaults() {
        FAULTS.clear();
        faulty = false;
    }

    /** True when this process runs with a crash point or a trace set (tests only). */
    public static boolean armed() {
        return TARGET != null || TRACE != null;
    }

    /** Marks the crash point {@code name}: halts here if it is the one asked for. */
    public static void hit(String name) {
        if (TARGET == null && TRACE == null && !faulty) {
            return;
        }
        if (faulty && FAULTS.contains(name)) {
            throw new java.io.UncheckedIOException(new IOException("injected fault at " + name));
        }
        if (TRACE != null) {
            synchronized (CrashPoint.class) {
                try {
                    java.nio.file.Files.write(TRACE, (name + "\n").getBytes(StandardCharsets.UTF_8), StandardOpenOption.CREATE,
                            StandardOpenOption.APPEND);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
        }
        if (name.equals(TARGET) && HITS.computeIfAbsent(name, k -> new AtomicInteger()).incrementAndGet() == TARGET_HIT) {
            System.err.println("mstore: halted at crash point " + name);
            System.err.flush();
            Runtime.getRuntime().halt(EXIT_STATUS);
        }
    }
}
