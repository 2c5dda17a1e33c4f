package dev.qkv.samples.cli;

/** A user error: printed as one line, exit status 2 (a stack trace only with --verbose). */
public final class CliException extends RuntimeException {
    public CliException(String message) {
        super(message);
    }

    public CliException(String message, Throwable cause) {
        super(message, cause);
    }
}
