package dev.qkv.optim;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A minimal JSON reader for the golden files of these tests (objects become LinkedHashMaps,
 * arrays Lists, numbers Doubles). Test-only: the project's own JSON lives in dev.qkv.io.
 */
final class GoldenJson {
    private final String s;
    private int pos;

    private GoldenJson(String s) {
        this.s = s;
    }

    /** Parses a classpath resource such as "/golden/optim/optim_golden.json". */
    static Map<String, Object> resource(String path) {
        try (InputStream in = GoldenJson.class.getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalStateException("golden file " + path + " is missing from the test classpath");
            }
            return object(new GoldenJson(new String(in.readAllBytes(), StandardCharsets.UTF_8)).value());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> object(Object o) {
        return (Map<String, Object>) o;
    }

    @SuppressWarnings("unchecked")
    static List<Object> list(Object o) {
        return (List<Object>) o;
    }

    static double[] doubles(Object o) {
        List<Object> l = list(o);
        double[] v = new double[l.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = (Double) l.get(i);
        }
        return v;
    }

    static float[] floats(Object o) {
        double[] d = doubles(o);
        float[] f = new float[d.length];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) d[i];
        }
        return f;
    }

    static int[] ints(Object o) {
        double[] d = doubles(o);
        int[] v = new int[d.length];
        for (int i = 0; i < v.length; i++) {
            v[i] = (int) d[i];
        }
        return v;
    }

    private Object value() {
        skipSpace();
        char c = s.charAt(pos);
        switch (c) {
            case '{' -> {
                pos++;
                Map<String, Object> m = new LinkedHashMap<>();
                skipSpace();
                if (s.charAt(pos) == '}') {
                    pos++;
                    return m;
                }
                do {
                    skipSpace();
                    String key = string();
                    skipSpace();
                    expect(':');
                    m.put(key, value());
                    skipSpace();
                } while (s.charAt(pos++) == ',');
                check(s.charAt(pos - 1) == '}', "'}'");
                return m;
            }
            case '[' -> {
                pos++;
                List<Object> l = new ArrayList<>();
                skipSpace();
                if (s.charAt(pos) == ']') {
                    pos++;
                    return l;
                }
                do {
                    l.add(value());
                    skipSpace();
                } while (s.charAt(pos++) == ',');
                check(s.charAt(pos - 1) == ']', "']'");
                return l;
            }
            case '"' -> {
                return string();
            }
            default -> {
                for (String word : new String[] {"true", "false", "null"}) {
                    if (s.startsWith(word, pos)) {
                        pos += word.length();
                        return word.equals("null") ? null : Boolean.valueOf(word);
                    }
                }
                int start = pos;
                while (pos < s.length() && "+-0123456789.eE".indexOf(s.charAt(pos)) >= 0) {
                    pos++;
                }
                check(pos > start, "a value");
                return Double.parseDouble(s.substring(start, pos));
            }
        }
    }

    /** A string without escapes other than \" and \\ (all the golden files use). */
    private String string() {
        expect('"');
        StringBuilder sb = new StringBuilder();
        while (s.charAt(pos) != '"') {
            char c = s.charAt(pos++);
            sb.append(c == '\\' ? s.charAt(pos++) : c);
        }
        pos++;
        return sb.toString();
    }

    private void skipSpace() {
        while (pos < s.length() && Character.isWhitespace(s.charAt(pos))) {
            pos++;
        }
    }

    private void expect(char c) {
        check(s.charAt(pos) == c, "'" + c + "'");
        pos++;
    }

    private void check(boolean ok, String expected) {
        if (!ok) {
            throw new IllegalArgumentException("GoldenJson: expected " + expected + " at offset " + pos);
        }
    }
}
