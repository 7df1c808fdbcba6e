package dev.e8q.codec;

/** A serialized {@link E8Matrix} that cannot be read: truncated, corrupt, inconsistent or from a newer e8q. */
public final class E8FormatException extends RuntimeException {
    public E8FormatException(String message) {
        super(message);
    }

    public E8FormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
