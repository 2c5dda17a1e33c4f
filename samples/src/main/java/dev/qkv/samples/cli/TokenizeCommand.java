package dev.qkv.samples.cli;

import dev.qkv.tokenizer.Tokenizer;
import dev.qkv.tokenizer.Tokenizers;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/** {@code qkv tokenize --tokenizer DIR (--text TEXT | --text-file FILE) [--decode]}. */
public final class TokenizeCommand {
    private TokenizeCommand() {
    }

    public static final String USAGE = """
            usage: qkv tokenize --tokenizer DIR (--text TEXT | --text-file FILE) [--decode]
              prints the token ids, space-separated, on one line; --decode reads ids and prints the text.""";

    public static void run(String[] argv, PrintStream out) throws IOException {
        Args a = new Args("tokenize", argv, List.of("tokenizer", "text", "text-file"), List.of("decode"));
        if (a.flag("help")) {
            out.println(USAGE);
            return;
        }
        Path dir = a.directory("tokenizer");
        if (a.has("text") == a.has("text-file")) {
            throw new CliException("tokenize needs exactly one of --text and --text-file");
        }
        String text;
        if (a.has("text")) {
            text = a.required("text");
        } else {
            Path f = Path.of(a.required("text-file"));
            if (!Files.isRegularFile(f)) {
                throw new CliException("--text-file: " + f + " does not exist");
            }
            text = Files.readString(f, StandardCharsets.UTF_8);
        }
        Tokenizer tok;
        try {
            tok = Tokenizers.load(dir);
        } catch (IOException | RuntimeException e) {
            throw new CliException(e.getMessage(), e);
        }
        try {
            if (a.flag("decode")) {
                String[] parts = text.trim().split("[,\\s]+");
                int[] ids = new int[parts.length];
                for (int i = 0; i < parts.length; i++) {
                    try {
                        ids[i] = Integer.parseInt(parts[i]);
                    } catch (NumberFormatException e) {
                        throw new CliException("--decode expects token ids, got '" + parts[i] + "'");
                    }
                }
                out.println(tok.decode(ids));
            } else {
                out.println(String.join(" ", Arrays.stream(tok.encode(text)).mapToObj(Integer::toString).toList()));
            }
        } catch (IllegalArgumentException e) {
            throw new CliException(e.getMessage(), e);
        }
    }
}
