package org.mstore.db;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Optional;

import org.mstore.fs.OwnerOnly;

/**
 * The store's secret: 256 random bits in {@code <store>/mboxlist/secret} (owner-only, 64 hex digits), from which
 * the passwords of the database's two users are derived (HMAC-SHA256 of the user's role). Whoever can read the
 * file can use the database, and no one else: its mode is what keeps the database to the store's owner.
 *
 * <p>{@link #ADMIN_USER} owns the schema and runs migrations; {@link #APP_USER} is what the program works as, with
 * nothing but SELECT, INSERT, UPDATE and DELETE on the store's tables, so that a client of the database cannot
 * make it run code ({@code CREATE ALIAS}, triggers, {@code RUNSCRIPT}, file functions need admin rights in H2).
 */
final class StoreSecret {
    static final String FILE = "secret";
    /** The database's admin: the user the previous release created, now with a password. */
    static final String ADMIN_USER = "MSTORE";
    /** The application's user: data rights only. */
    static final String APP_USER = "MSTORE_APP";
    /** What a store of the previous release was opened with. */
    static final String LEGACY_PASSWORD = "";
    private static final int BYTES = 32;
    /** SHA-256's block size, in bytes. */
    private static final int BLOCK = 64;

    private final byte[] key;

    private StoreSecret(byte[] key) {
        this.key = key;
    }

    /** The secret in {@code file}; empty if there is none; an IOException naming the file if it is damaged. */
    static Optional<StoreSecret> read(Path file) throws IOException {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.US_ASCII).strip();
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        try {
            byte[] k = HexFormat.of().parseHex(text);
            if (k.length == BYTES) {
                return Optional.of(new StoreSecret(k));
            }
        } catch (IllegalArgumentException e) {
            // reported below
        }
        throw new IOException(file + " is damaged: it must hold " + BYTES * 2 + " hex digits");
    }

    /** A new random secret, written owner-only to {@code file} (atomically, forced to disk). */
    static StoreSecret create(Path file) throws IOException {
        byte[] k = new byte[BYTES];
        new SecureRandom().nextBytes(k);
        OwnerOnly.writeAtomically(file, (HexFormat.of().formatHex(k) + "\n").getBytes(StandardCharsets.US_ASCII));
        return new StoreSecret(k);
    }

    String adminPassword() {
        return derive("mstore database admin");
    }

    String appPassword() {
        return derive("mstore database application");
    }

    /** A password for {@code role}: 64 hex digits, so it can stand in SQL as a literal. */
    private String derive(String role) {
        return HexFormat.of().formatHex(hmacSha256(key, role.getBytes(StandardCharsets.UTF_8)));
    }

    /**
     * HMAC-SHA256 (RFC 2104) over {@link MessageDigest}, which H2 has loaded already: {@code javax.crypto.Mac} would
     * set up the JCE's policy and providers first, about 20 ms of every command's start.
     */
    static byte[] hmacSha256(byte[] key, byte[] message) {
        MessageDigest d;
        try {
            d = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this Java runtime", e);
        }
        byte[] k = key.length > BLOCK ? d.digest(key) : key;
        byte[] inner = new byte[BLOCK];
        byte[] outer = new byte[BLOCK];
        for (int i = 0; i < BLOCK; i++) {
            byte b = i < k.length ? k[i] : 0;
            inner[i] = (byte) (b ^ 0x36);
            outer[i] = (byte) (b ^ 0x5c);
        }
        d.update(inner);
        byte[] h = d.digest(message);
        d.update(outer);
        return d.digest(h);
    }

    /** A random hex string of {@code bytes} bytes (the TCP server's key). */
    static String randomHex(int bytes) {
        byte[] b = new byte[bytes];
        new SecureRandom().nextBytes(b);
        return HexFormat.of().formatHex(b);
    }
}
