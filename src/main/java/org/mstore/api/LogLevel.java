package org.mstore.api;

/** The default log's levels, in the messaging server's words, most severe first. */
public enum LogLevel {
    CRITICAL("Critical"),
    ERROR("Error"),
    WARNING("Warning"),
    NOTICE("Notice"),
    INFORMATION("Information"),
    DEBUG("Debug");

    private final String word;

    LogLevel(String word) {
        this.word = word;
    }

    public String word() {
        return word;
    }

    /** Parses the word as it appears in a log line; null if it is not a level. */
    public static LogLevel fromWord(String w) {
        for (LogLevel l : values()) {
            if (l.word.equalsIgnoreCase(w)) {
                return l;
            }
        }
        return null;
    }
}
