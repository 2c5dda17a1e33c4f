package dev.qkv.samples.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Command-line options: {@code --name value} for declared value options, {@code --name} for
 * declared flags. Anything else is an error that lists what the command accepts.
 */
public final class Args {
    private final String command;
    private final Map<String, String> values = new LinkedHashMap<>();
    private final Set<String> flags = new LinkedHashSet<>();

    /**
     * @param valueOptions names (without --) that take a value
     * @param flagOptions  names that take none; "verbose" and "help" are always accepted
     */
    public Args(String command, String[] args, List<String> valueOptions, List<String> flagOptions) {
        this.command = command;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (!a.startsWith("--")) {
                throw new CliException("unexpected argument '" + a + "'" + accepted(valueOptions, flagOptions));
            }
            String name = a.substring(2);
            if (valueOptions.contains(name)) {
                if (i + 1 >= args.length) {
                    throw new CliException("option --" + name + " needs a value");
                }
                values.put(name, args[++i]);
            } else if (flagOptions.contains(name) || name.equals("verbose") || name.equals("help")) {
                flags.add(name);
            } else {
                throw new CliException("unknown option --" + name + accepted(valueOptions, flagOptions));
            }
        }
    }

    private String accepted(List<String> valueOptions, List<String> flagOptions) {
        StringBuilder sb = new StringBuilder(" (" + command + " accepts:");
        valueOptions.forEach(v -> sb.append(" --").append(v).append(" X"));
        flagOptions.forEach(f -> sb.append(" --").append(f));
        return sb.append(")").toString();
    }

    public boolean has(String name) {
        return values.containsKey(name) || flags.contains(name);
    }

    public boolean flag(String name) {
        return flags.contains(name);
    }

    public String string(String name, String fallback) {
        return values.getOrDefault(name, fallback);
    }

    public String required(String name) {
        String v = values.get(name);
        if (v == null) {
            throw new CliException(command + " needs --" + name);
        }
        return v;
    }

    public int integer(String name, int fallback, int min, int max) {
        String v = values.get(name);
        if (v == null) {
            return fallback;
        }
        try {
            int x = Integer.parseInt(v.trim());
            if (x < min || x > max) {
                throw new CliException("--" + name + " must be between " + min + " and " + max + ", got " + x);
            }
            return x;
        } catch (NumberFormatException e) {
            throw new CliException("--" + name + " expects an integer, got '" + v + "'");
        }
    }

    public double number(String name, double fallback, double min, double max) {
        String v = values.get(name);
        if (v == null) {
            return fallback;
        }
        try {
            double x = Double.parseDouble(v.trim());
            if (!(x >= min && x <= max)) {
                throw new CliException("--" + name + " must be between " + min + " and " + max + ", got " + v);
            }
            return x;
        } catch (NumberFormatException e) {
            throw new CliException("--" + name + " expects a number, got '" + v + "'");
        }
    }

    public long longValue(String name, long fallback) {
        String v = values.get(name);
        if (v == null) {
            return fallback;
        }
        try {
            return Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            throw new CliException("--" + name + " expects an integer, got '" + v + "'");
        }
    }

    /** A comma- or space-separated list of integers, e.g. "1,2,3". */
    public int[] ids(String name) {
        String v = required(name).trim();
        if (v.isEmpty()) {
            throw new CliException("--" + name + " is empty");
        }
        String[] parts = v.split("[,\\s]+");
        int[] out = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                out[i] = Integer.parseInt(parts[i]);
            } catch (NumberFormatException e) {
                throw new CliException("--" + name + " expects integers separated by commas, got '" + parts[i] + "'");
            }
        }
        return out;
    }

    /** A directory that must exist. */
    public Path directory(String name) {
        Path p = Path.of(required(name));
        if (!Files.isDirectory(p)) {
            throw new CliException("--" + name + ": directory " + p + " does not exist");
        }
        return p;
    }
}
