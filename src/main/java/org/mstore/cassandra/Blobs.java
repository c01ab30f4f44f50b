package org.mstore.cassandra;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletionStage;
import java.util.zip.CRC32C;

import com.datastax.oss.driver.api.core.cql.AsyncResultSet;
import com.datastax.oss.driver.api.core.cql.BatchStatement;
import com.datastax.oss.driver.api.core.cql.BatchStatementBuilder;
import com.datastax.oss.driver.api.core.cql.DefaultBatchType;
import com.datastax.oss.driver.api.core.cql.Row;

/**
 * Message bytes in {@code <prefix>msg.blobs}: one partition per message, its bytes in rows of 256 KiB, its size, CRC-32C
 * and owner (mailbox id, UID) in static columns. A blob is written once and never changed; it is read back only if its
 * size and checksum match what its record says.
 */
final class Blobs {
    /** A blob read back: its bytes, or why it cannot be served. */
    record Read(byte[] bytes, String problem) {
    }

    /** A blob's static columns, without its bytes. */
    record Head(long size, int crc, int chunks) {
    }

    private final Cql cql;

    Blobs(Cql cql) {
        this.cql = cql;
    }

    static int crc32c(byte[] b) {
        CRC32C c = new CRC32C();
        c.update(b, 0, b.length);
        return (int) c.getValue();
    }

    /** Writes a blob (one unlogged batch: one partition). */
    CompletionStage<AsyncResultSet> write(UUID blobId, byte[] content, int crc, UUID mailboxId, long uid) {
        return cql.executeAsync(writeStatement(blobId, content, crc, mailboxId, uid));
    }

    /** The statement that writes a blob (one unlogged batch: one partition). */
    BatchStatement writeStatement(UUID blobId, byte[] content, int crc, UUID mailboxId, long uid) {
        int chunks = Math.max(1, (content.length + Schema.CHUNK - 1) / Schema.CHUNK);
        BatchStatementBuilder b = BatchStatement.builder(DefaultBatchType.UNLOGGED);
        for (int i = 0; i < chunks; i++) {
            int from = i * Schema.CHUNK;
            int len = Math.min(Schema.CHUNK, content.length - from);
            ByteBuffer data = ByteBuffer.wrap(content, from, Math.max(0, len)).slice();
            if (i == 0) {
                b.addStatement(cql.bind("INSERT INTO {msg}.blobs (blob_id, chunk, data, size, crc32c, chunks, mailbox_id, uid) "
                        + "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", blobId, i, data, (long) content.length, crc, chunks, mailboxId, uid));
            } else {
                b.addStatement(cql.bind("INSERT INTO {msg}.blobs (blob_id, chunk, data) VALUES (?, ?, ?)", blobId, i, data));
            }
        }
        return b.build();
    }

    Head head(UUID blobId) {
        Row r = cql.one("SELECT size, crc32c, chunks FROM {msg}.blobs WHERE blob_id = ? LIMIT 1", blobId);
        return r == null || r.isNull("size") ? null : new Head(r.getLong(0), r.getInt(1), r.getInt(2));
    }

    /** Reads a blob and checks it against the size and checksum its record holds. */
    Read read(UUID blobId, long size, int crc) {
        List<Row> rows = new ArrayList<>();
        for (Row r : cql.execute("SELECT chunk, data, size, crc32c, chunks FROM {msg}.blobs WHERE blob_id = ?", blobId)) {
            rows.add(r);
        }
        if (rows.isEmpty() || rows.get(0).isNull("size")) {
            return new Read(null, "its blob is missing");
        }
        Row first = rows.get(0);
        if (rows.size() != first.getInt("chunks")) {
            return new Read(null, "its blob has " + rows.size() + " of " + first.getInt("chunks") + " parts");
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream((int) Math.min(Integer.MAX_VALUE, Math.max(0, size)));
        int expect = 0;
        for (Row r : rows) {
            if (r.getInt("chunk") != expect++) {
                return new Read(null, "its blob has a missing part");
            }
            ByteBuffer d = r.getByteBuffer("data");
            if (d != null) {
                byte[] b = new byte[d.remaining()];
                d.get(b);
                out.writeBytes(b);
            }
        }
        byte[] bytes = out.toByteArray();
        if (bytes.length != size || first.getLong("size") != size) {
            return new Read(null, "its blob has " + bytes.length + " bytes, its record says " + size);
        }
        int actual = crc32c(bytes);
        if (actual != crc || first.getInt("crc32c") != crc) {
            return new Read(null, "its bytes no longer match their CRC-32C checksum");
        }
        return new Read(bytes, null);
    }

    CompletionStage<AsyncResultSet> delete(UUID blobId) {
        return cql.executeAsync(deleteStatement(blobId));
    }

    com.datastax.oss.driver.api.core.cql.BoundStatement deleteStatement(UUID blobId) {
        return cql.bind("DELETE FROM {msg}.blobs WHERE blob_id = ?", blobId);
    }
}
