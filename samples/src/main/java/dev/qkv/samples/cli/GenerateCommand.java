package dev.qkv.samples.cli;

import dev.qkv.models.CausalLM;
import dev.qkv.models.Generation;
import dev.qkv.models.Sampler;
import dev.qkv.models.hf.HuggingFace;
import dev.qkv.tokenizer.Tokenizer;
import dev.qkv.tokenizer.Tokenizers;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * {@code qkv generate --model DIR (--prompt TEXT | --prompt-ids 1,2,3) [options]}: text (or ids)
 * from a GPT-2 or Llama model directory, streamed as it is produced.
 */
public final class GenerateCommand {
    private GenerateCommand() {
    }

    public static final String USAGE = """
            usage: qkv generate --model DIR (--prompt TEXT | --prompt-ids 1,2,3) [--max-new-tokens N]
                                [--temperature T] [--top-k K] [--top-p P] [--repetition-penalty R]
                                [--stop-ids 1,2] [--seed S] [--print-ids]
              temperature 0 is greedy decoding; --print-ids prints only the new token ids on one line.
              A model directory without tokenizer files needs --prompt-ids and --print-ids.""";

    public static void run(String[] argv, PrintStream out) throws IOException {
        Args a = new Args("generate", argv, List.of("model", "prompt", "prompt-ids", "max-new-tokens", "temperature",
                "top-k", "top-p", "repetition-penalty", "stop-ids", "seed"), List.of("print-ids"));
        if (a.flag("help")) {
            out.println(USAGE);
            return;
        }
        Path dir = a.directory("model");
        if (a.has("prompt") == a.has("prompt-ids")) {
            throw new CliException("generate needs exactly one of --prompt and --prompt-ids");
        }
        int maxNew = a.integer("max-new-tokens", 50, 0, 1_000_000);
        Sampler sampler = new Sampler(a.number("temperature", 0.8, 0, 100), a.integer("top-k", 0, 0, Integer.MAX_VALUE),
                a.number("top-p", 1.0, 1e-9, 1.0), a.number("repetition-penalty", 1.0, 1e-6, 100));
        boolean printIds = a.flag("print-ids");
        Tokenizer tok = Tokenizers.present(dir) ? Tokenizers.load(dir) : null;
        if (tok == null && (!a.has("prompt-ids") || !printIds)) {
            throw new CliException("model directory " + dir + " has no tokenizer files: use --prompt-ids and --print-ids");
        }
        CausalLM model;
        try {
            model = HuggingFace.loadCausalLM(dir);
        } catch (IOException e) {
            throw new CliException(e.getMessage(), e);
        }
        int[] prompt = a.has("prompt-ids") ? a.ids("prompt-ids") : encode(tok, a.required("prompt"));
        if (prompt.length == 0) {
            throw new CliException("the prompt is empty");
        }
        for (int id : prompt) {
            if (id < 0 || id >= model.vocabSize()) {
                throw new CliException("prompt token id " + id + " is outside the model's vocabulary of " + model.vocabSize());
            }
        }
        if (prompt.length > model.contextLength()) {
            throw new CliException("the prompt has " + prompt.length + " tokens but the model's context is "
                    + model.contextLength() + " tokens");
        }
        Set<Integer> stops = new HashSet<>();
        if (a.has("stop-ids")) {
            Arrays.stream(a.ids("stop-ids")).forEach(stops::add);
        }
        Generation.Config cfg = new Generation.Config(maxNew, sampler, stops, a.longValue("seed", 0));
        if (printIds) {
            int[] ids = Generation.generate(model, prompt, cfg, null);
            out.println(String.join(" ", Arrays.stream(ids).mapToObj(Integer::toString).toList()));
            return;
        }
        // Stream text: decode everything generated so far and print the new suffix, so byte-level
        // tokens that split a multi-byte character print once the character is complete.
        int[][] sofar = {new int[0]};
        String[] printed = {""};
        out.print(tok.decode(prompt));
        Generation.generate(model, prompt, cfg, t -> {
            sofar[0] = Arrays.copyOf(sofar[0], sofar[0].length + 1);
            sofar[0][sofar[0].length - 1] = t;
            String text = tok.decode(sofar[0]);
            if (!text.endsWith("\uFFFD") && text.startsWith(printed[0])) {
                out.print(text.substring(printed[0].length()));
                out.flush();
                printed[0] = text;
            }
        });
        String all = tok.decode(sofar[0]);
        if (all.startsWith(printed[0])) {
            out.print(all.substring(printed[0].length()));
        }
        out.println();
    }

    private static int[] encode(Tokenizer tok, String text) {
        try {
            return tok.encode(text);
        } catch (IllegalArgumentException e) {
            throw new CliException("cannot tokenize the prompt: " + e.getMessage(), e);
        }
    }
}
