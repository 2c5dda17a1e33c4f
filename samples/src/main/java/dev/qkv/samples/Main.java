package dev.qkv.samples;

import java.util.Arrays;

/** Entry point of samples/target/qkv.jar: {@code qkv COMMAND [options]}. */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        if (args.length == 0 || args[0].equals("--help") || args[0].equals("help")) {
            usage();
            return;
        }
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        try {
            switch (args[0]) {
                case "demo" -> MlpDemo.run(rest);
                default -> {
                    System.err.println("qkv: unknown command '" + args[0] + "'");
                    usage();
                    System.exit(2);
                }
            }
        } catch (IllegalArgumentException e) {
            System.err.println("qkv " + args[0] + ": " + e.getMessage());
            if (Arrays.asList(args).contains("--verbose")) {
                e.printStackTrace();
            }
            System.exit(2);
        }
    }

    private static void usage() {
        System.out.println("""
                usage: qkv COMMAND [options]

                commands:
                  demo     train a small MLP on generated data and print the falling loss
                """);
    }
}
