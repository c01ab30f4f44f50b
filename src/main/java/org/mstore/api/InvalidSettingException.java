package org.mstore.api;

/** A setting value (or name) that was refused; the message names the option and the allowed values. */
public class InvalidSettingException extends IllegalArgumentException {
    public InvalidSettingException(String message) {
        super(message);
    }
}
