package dev.qkv.io;

import java.io.BufferedOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Saving a file so that a crash or an exception mid-save never destroys the previous version.
 *
 * <p>{@link #write} writes to a temporary file next to the target (same directory, so the
 * same filesystem), forces it to disk, then renames it over the target. A rename within one
 * filesystem is atomic on POSIX systems: readers see the old file or the new one, never half
 * of one. If the body fails, the temporary file is deleted and the target is untouched.
 *
 * <p>What this does not do: protect against two processes saving the same target at once
 * (the last rename wins), or preserve the old file's permissions and owner (the new file gets
 * the default ones). If the target is a symbolic link, the link itself is replaced.
 */
public final class AtomicFiles {
    private AtomicFiles() {
    }

    /**
     * Replaces {@code target} with what {@code body} writes to the stream. The stream is
     * buffered; the body need not close it (closing it is harmless), but anything the body
     * wraps around it (a Writer, another buffer) must be flushed before the body returns, or
     * that part is lost. Exceptions from the body propagate after the temporary file has been
     * removed.
     */
    public static void write(Path target, IOConsumer<OutputStream> body) throws IOException {
        Path absolute = target.toAbsolutePath();
        if (absolute.getFileName() == null) {
            throw new IllegalArgumentException("AtomicFiles.write: " + target + " does not name a file");
        }
        Path dir = absolute.getParent();
        Path tmp = createTemp(dir, absolute.getFileName().toString());
        boolean moved = false;
        try {
            try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                OutputStream out = new KeepOpen(Channels.newOutputStream(channel));
                body.accept(out);
                out.flush();
                // Data must be on disk before the rename makes it visible under the real name;
                // otherwise a power cut could leave the target renamed but empty.
                channel.force(true);
            }
            move(tmp, target);
            moved = true;
            syncDirectory(dir);
        } finally {
            if (!moved) {
                deleteQuietly(tmp);
            }
        }
    }

    /**
     * A new empty file ".name.random.tmp" in dir. Created with CREATE_NEW rather than
     * Files.createTempFile because that one makes the file owner-only (0600) on POSIX, and the
     * saved file would keep those unusual permissions.
     */
    private static Path createTemp(Path dir, String name) throws IOException {
        String prefix = "." + (name.length() > 100 ? name.substring(0, 100) : name) + ".";
        for (int attempt = 0; ; attempt++) {
            Path tmp = dir.resolve(prefix + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp");
            try {
                Files.newByteChannel(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE).close();
                return tmp;
            } catch (FileAlreadyExistsException e) {
                if (attempt == 10) {
                    throw e;
                }
            }
        }
    }

    private static void move(Path tmp, Path target) throws IOException {
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            // Some filesystems (certain network or FUSE mounts) cannot rename atomically. A
            // replacing move is the best they offer: the window in which the target is missing
            // is short, and the complete new file already exists next to it.
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** Makes the rename itself durable. Best effort: not every OS can open a directory (Windows). */
    private static void syncDirectory(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // the file is complete and renamed; only durability across a power cut is weaker
        }
    }

    private static void deleteQuietly(Path tmp) {
        try {
            Files.deleteIfExists(tmp);
        } catch (IOException e) {
            // keep the body's exception: it is the one that explains what went wrong
        }
    }

    /**
     * Lets the body close "its" stream without closing the channel we still need to force.
     * FilterOutputStream writes arrays byte by byte, so write(byte[], int, int) is forwarded.
     */
    private static final class KeepOpen extends FilterOutputStream {
        KeepOpen(OutputStream out) {
            super(new BufferedOutputStream(out, 1 << 16));
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
        }

        @Override
        public void close() throws IOException {
            flush();
        }
    }
}
