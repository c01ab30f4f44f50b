package org.mstore.imap;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.KeyManagerFactory;

import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;

/**
 * The servers' TLS: a PKCS#12 keystore the administrator names (with its password in a file, never on the command
 * line), or a self-signed one made with the JDK's {@code keytool} under {@code <store>/tls/} (owner-only).
 */
public final class Tls {
    public static final String DIR = "tls";

    private Tls() {
    }

    /** The keystore made for a store when the administrator names none. */
    public static Path defaultKeystore(Path storeRoot) {
        return storeRoot.resolve(DIR).resolve("imapd.p12");
    }

    public static Path defaultPasswordFile(Path storeRoot) {
        return storeRoot.resolve(DIR).resolve("imapd.pass");
    }

    /** A server TLS context (TLS 1.2 and 1.3) from a keystore and the file holding its password. */
    public static SslContext load(Path keystore, Path passwordFile) throws IOException {
        char[] password = readPassword(passwordFile);
        try (InputStream in = Files.newInputStream(keystore)) {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(in, password);
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(ks, password);
            return SslContextBuilder.forServer(kmf).protocols("TLSv1.3", "TLSv1.2").build();
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot use the keystore " + keystore + ": " + e.getMessage(), e);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new IOException("no keystore at " + keystore);
        } finally {
            java.util.Arrays.fill(password, '\0');
        }
    }

    private static char[] readPassword(Path file) throws IOException {
        try {
            String s = Files.readString(file, StandardCharsets.UTF_8);
            return s.strip().toCharArray();
        } catch (java.nio.file.NoSuchFileException e) {
            throw new IOException("no keystore password file at " + file);
        }
    }

    /**
     * Makes a self-signed certificate for {@code host} (RSA 3072, ten years) in a new keystore with a random password,
     * both owner-only. Refuses to overwrite either file.
     */
    public static void make(Path keystore, Path passwordFile, String host) throws IOException {
        if (Files.exists(keystore) || Files.exists(passwordFile)) {
            throw new IOException("not replacing the existing " + (Files.exists(keystore) ? keystore : passwordFile));
        }
        Path dir = keystore.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        ownerOnly(dir, true);
        byte[] random = new byte[24];
        new SecureRandom().nextBytes(random);
        String password = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
        Files.writeString(passwordFile, password + "\n", StandardCharsets.UTF_8);
        ownerOnly(passwordFile, false);
        Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
        List<String> cmd = new ArrayList<>(List.of(keytool.toString(), "-genkeypair", "-alias", "imapd", "-keyalg", "RSA", "-keysize", "3072",
                "-validity", "3650", "-dname", "CN=" + host, "-ext", "SAN=dns:" + host + ",dns:localhost,ip:127.0.0.1",
                "-storetype", "PKCS12", "-keystore", keystore.toString(), "-storepass:env", "MSTORE_KEYSTORE_PASS", "-keypass:env",
                "MSTORE_KEYSTORE_PASS", "-noprompt"));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("MSTORE_KEYSTORE_PASS", password);
        try {
            Process p = pb.start();
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
                Files.deleteIfExists(passwordFile);
                Files.deleteIfExists(keystore);
                throw new IOException("keytool could not make the keystore: " + out.strip());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while making the keystore");
        } catch (IOException e) {
            Files.deleteIfExists(passwordFile);
            throw e.getMessage() != null && e.getMessage().startsWith("keytool") ? e
                    : new IOException("cannot run keytool (" + keytool + "): " + e.getMessage(), e);
        }
        ownerOnly(keystore, false);
    }

    private static void ownerOnly(Path p, boolean dir) throws IOException {
        if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(dir ? "rwx------" : "rw-------"));
        }
    }
}
