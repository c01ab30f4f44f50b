package org.mstore.api;

/** What the impurge daemon is doing. */
public enum DaemonState {
    STOPPED("stopped"),
    WAITING("waiting for entries"),
    WORKING("working"),
    OUTSIDE_WINDOW("outside its window"),
    WINDOW_DONE("queue empty; done for this window"),
    LOCKED_OUT("another impurge holds the session lock"),
    UNREACHABLE("the store is unreachable; retrying");

    private final String text;

    DaemonState(String text) {
        this.text = text;
    }

    public String text() {
        return text;
    }
}
