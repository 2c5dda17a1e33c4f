package dev.qkv.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

class AtomicFilesTest {
    @TempDir
    Path dir;

    private List<String> filesInDir() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void createsANewFileAndReplacesAnExistingOne() throws IOException {
        Path target = dir.resolve("model.bin");
        AtomicFiles.write(target, out -> out.write("first".getBytes(StandardCharsets.UTF_8)));
        assertEquals("first", Files.readString(target));
        AtomicFiles.write(target, out -> out.write("second, longer".getBytes(StandardCharsets.UTF_8)));
        assertEquals("second, longer", Files.readString(target));
        assertEquals(List.of("model.bin"), filesInDir(), "no temporary file left behind");
    }

    @Test
    void aBodyThatFailsMidWriteLeavesThePreviousFileIntactAndNoTempFile() throws IOException {
        Path target = dir.resolve("model.bin");
        Files.writeString(target, "previous");
        byte[] big = new byte[1 << 20]; // larger than the stream's buffer, so bytes reach the temp file
        IOException thrown = new IOException("disk on fire");
        IOException e = assertThrows(IOException.class, () -> AtomicFiles.write(target, out -> {
            out.write(big);
            throw thrown;
        }));
        assertSame(thrown, e, "the body's exception propagates unchanged");
        assertEquals("previous", Files.readString(target));
        assertEquals(List.of("model.bin"), filesInDir());
    }

    @Test
    void uncheckedExceptionsAlsoCleanUp() throws IOException {
        Path target = dir.resolve("model.bin");
        Files.writeString(target, "previous");
        assertThrows(UncheckedIOException.class, () -> AtomicFiles.write(target, out -> {
            out.write(1);
            throw new UncheckedIOException(new IOException("boom"));
        }));
        assertEquals("previous", Files.readString(target));
        assertEquals(List.of("model.bin"), filesInDir());
    }

    @Test
    void aFailureWithoutAPreviousFileLeavesNothing() throws IOException {
        Path target = dir.resolve("new.bin");
        assertThrows(IllegalStateException.class, () -> AtomicFiles.write(target, out -> {
            throw new IllegalStateException("nothing to write");
        }));
        assertEquals(List.of(), filesInDir());
    }

    @Test
    void theBodyMayCloseTheStream() throws IOException {
        Path target = dir.resolve("closed.bin");
        AtomicFiles.write(target, out -> {
            out.write(new byte[] {1, 2, 3}, 1, 2);
            out.close();
        });
        assertArrayEquals(new byte[] {2, 3}, Files.readAllBytes(target));
    }

    @Test
    void aTargetThatIsADirectoryFailsAndCleansUp() throws IOException {
        Path target = Files.createDirectory(dir.resolve("sub"));
        Files.writeString(target.resolve("keep.txt"), "x");
        assertThrows(IOException.class, () -> AtomicFiles.write(target, out -> out.write(7)));
        assertEquals(List.of("sub"), filesInDir());
        assertEquals("x", Files.readString(target.resolve("keep.txt")));
    }

    @Test
    void aMissingDirectoryIsAnIOException() {
        assertThrows(IOException.class, () -> AtomicFiles.write(dir.resolve("no/such/dir/f.bin"), out -> out.write(1)));
    }
}
