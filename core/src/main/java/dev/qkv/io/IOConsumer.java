package dev.qkv.io;

import java.io.IOException;

/** A consumer that may throw IOException: the body of {@link AtomicFiles#write}. */
@FunctionalInterface
public interface IOConsumer<T> {
    void accept(T value) throws IOException;
}
