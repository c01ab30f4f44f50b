package org.mstore.users;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;

import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;

/**
 * Password hashing: PBKDF2-HMAC-SHA256 from the JDK, {@value #ITERATIONS} iterations (OWASP's figure for it), a random
 * 16-byte salt per user, a 32-byte hash. A credential is stored as
 * {@code pbkdf2-sha256$<iterations>$<salt, base64>$<hash, base64>}, so that the iteration count can grow later without
 * invalidating old credentials.
 */
public final class Passwords {
    public static final int ITERATIONS = 210_000;
    static final String SCHEME = "pbkdf2-sha256";
    private static final int SALT_BYTES = 16;
    private static final int HASH_BITS = 256;
    private static final SecureRandom RANDOM = new SecureRandom();
    /** Checked against when the user is unknown, so that the answer takes as long as for a wrong password. */
    private static final String DUMMY = hash("not a password".toCharArray());

    private Passwords() {
    }

    /** A new credential for {@code password}. */
    public static String hash(char[] password) {
        byte[] salt = new byte[SALT_BYTES];
        RANDOM.nextBytes(salt);
        return format(ITERATIONS, salt, derive(password, salt, ITERATIONS));
    }

    /** True when {@code password} matches {@code credential}; a null or malformed credential matches nothing. */
    public static boolean verify(char[] password, String credential) {
        String c = credential == null ? DUMMY : credential;
        String[] f = c.split("\\$", -1);
        boolean wellFormed = f.length == 4 && f[0].equals(SCHEME);
        int iterations;
        byte[] salt;
        byte[] expected;
        try {
            iterations = wellFormed ? Integer.parseInt(f[1]) : ITERATIONS;
            salt = wellFormed ? Base64.getDecoder().decode(f[2]) : new byte[SALT_BYTES];
            expected = wellFormed ? Base64.getDecoder().decode(f[3]) : new byte[HASH_BITS / 8];
        } catch (IllegalArgumentException e) {
            iterations = ITERATIONS;
            salt = new byte[SALT_BYTES];
            expected = new byte[HASH_BITS / 8];
            wellFormed = false;
        }
        if (iterations < 1 || iterations > 10_000_000) {
            iterations = ITERATIONS;
            wellFormed = false;
        }
        byte[] actual = derive(password, salt, iterations);
        return MessageDigest.isEqual(actual, expected) && wellFormed && credential != null;
    }

    private static String format(int iterations, byte[] salt, byte[] hash) {
        Base64.Encoder b = Base64.getEncoder().withoutPadding();
        return SCHEME + "$" + iterations + "$" + b.encodeToString(salt) + "$" + b.encodeToString(hash);
    }

    private static byte[] derive(char[] password, byte[] salt, int iterations) {
        PBEKeySpec spec = new PBEKeySpec(password, salt, iterations, HASH_BITS);
        try {
            return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("PBKDF2WithHmacSHA256 is not available: " + e.getMessage(), e);
        } finally {
            spec.clearPassword();
        }
    }
}
