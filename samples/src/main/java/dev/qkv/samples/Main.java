package dev.qkv.samples;

import dev.qkv.samples.cli.CliException;
import dev.qkv.samples.cli.GenerateCommand;
import dev.qkv.samples.cli.TokenizeCommand;
import dev.qkv.samples.cli.TrainGptCommand;

import java.io.IOException;
import java.io.PrintStream;
import java.util.Arrays;

/** Entry point of samples/target/qkv.jar: {@code qkv COMMAND [options]}. */
public final class Main {
    private Main() {
    }

    static final String USAGE = """
            usage: qkv COMMAND [options]      (qkv COMMAND --help for a command's options)

            commands:
              demo        train a character-level GPT on Shakespeare's sonnets for about two minutes, then write
              train-gpt   train a character-level GPT on a text file: progress, validation, checkpoints, resume
              generate    generate text (or token ids) from a GPT-2 or Llama model directory
              tokenize    turn text into token ids (or back, with --decode)
              sample      the learning-roadmap samples: qkv sample --list, qkv sample NAME [--smoke]
              mlp-demo    a small MLP learning two spirals (seconds)

            add --verbose to any command to see a stack trace on errors.""";

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Runs a command; returns the exit status (0 ok, 2 user error, 1 internal error). */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 0 || args[0].equals("--help") || args[0].equals("help")) {
            out.println(USAGE);
            return args.length == 0 ? 2 : 0;
        }
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        boolean verbose = Arrays.asList(args).contains("--verbose");
        try {
            switch (args[0]) {
                case "demo" -> TrainGptCommand.run(withDefaults(rest), out);
                case "train-gpt" -> TrainGptCommand.run(rest, out);
                case "generate" -> GenerateCommand.run(rest, out);
                case "tokenize" -> TokenizeCommand.run(rest, out);
                case "mlp-demo" -> MlpDemo.run(rest);
                case "sample" -> Samples.command(rest, out);
                default -> throw new CliException("unknown command '" + args[0]
                        + "' (commands: demo, train-gpt, generate, tokenize, sample, mlp-demo; see qkv --help)");
            }
            return 0;
        } catch (CliException | IllegalArgumentException | IOException e) {
            err.println("qkv " + args[0] + ": error: " + e.getMessage());
            if (verbose) {
                e.printStackTrace(err);
            }
            return 2;
        } catch (Exception e) {
            err.println("qkv " + args[0] + ": internal error: " + e);
            if (verbose) {
                e.printStackTrace(err);
            }
            return 1;
        }
    }

    /**
     * The demo is train-gpt on the bundled sonnets, sized to take about two minutes on two cores
     * (500 steps, output in runs/demo); options given on the command line override these.
     */
    private static String[] withDefaults(String[] rest) {
        java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of(rest));
        if (!args.contains("--steps")) {
            args.addAll(java.util.List.of("--steps", "500"));
        }
        if (!args.contains("--out")) {
            args.addAll(java.util.List.of("--out", "runs/demo"));
        }
        return args.toArray(new String[0]);
    }
}
