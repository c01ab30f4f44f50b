package org.mstore.db;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.nio.charset.StandardCharsets;
import java.util.Random;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import org.junit.jupiter.api.Test;

class StoreSecretTest {
    /** The database passwords of every existing store are derived with it: it must be HMAC-SHA256 exactly. */
    @Test
    void derived_passwords_are_hmac_sha256_of_the_role_as_the_jce_computes_it() throws Exception {
        Random r = new Random(42);
        for (int len : new int[] {1, 32, 63, 64, 65, 200}) {
            byte[] key = new byte[len];
            r.nextBytes(key);
            for (String role : new String[] {"mstore database admin", "mstore database application", ""}) {
                byte[] message = role.getBytes(StandardCharsets.UTF_8);
                Mac mac = Mac.getInstance("HmacSHA256");
                mac.init(new SecretKeySpec(key, "HmacSHA256"));
                assertArrayEquals(mac.doFinal(message), StoreSecret.hmacSha256(key, message), "key of " + len + " bytes, role '" + role + "'");
            }
        }
    }

    /** RFC 4231, test case 2: a short key and message. */
    @Test
    void hmac_matches_rfc_4231_test_case_2() {
        byte[] h = StoreSecret.hmacSha256("Jefe".getBytes(StandardCharsets.US_ASCII),
                "what do ya want for nothing?".getBytes(StandardCharsets.US_ASCII));
        assertArrayEquals(java.util.HexFormat.of().parseHex("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"), h);
    }
}
