package org.mstore.backend;

import java.util.Collection;
import java.util.List;

import org.mstore.api.SessionInfo;

/**
 * Where server processes publish their connected sessions, so that a console in another process (or on another
 * host) can list them.
 *
 * <p>Contract for a backend: an {@code owner} is one server process ({@code host:pid}); {@link #publish} is called by
 * that process about once a second, also when nothing changed (the call is its heartbeat), and must stay cheap; rows
 * of an owner that stopped calling are removed by {@link #removeOwners}, which the engine calls for processes it knows
 * are dead or whose heartbeat is too old. Nothing here is precious: a lost row reappears at its owner's next publish.
 */
public interface SessionStore {
    /** A stored session: its data, its owner, and the owner's last heartbeat (epoch ms). */
    record Stored(SessionInfo info, String owner, long heartbeat) {
    }

    /**
     * Writes {@code changed} sessions of {@code owner} (insert or replace by id), deletes the {@code closed} ids, and
     * records {@code now} as the heartbeat of every session of the owner.
     */
    void publish(String owner, long now, Collection<SessionInfo> changed, Collection<String> closed);

    /** Every stored session, oldest first. */
    List<Stored> list();

    /** Removes every session of these owners (processes that died). */
    void removeOwners(Collection<String> owners);
}
