package dev.qkv.samples;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Each sample's --smoke run must reach its learned result, not just finish. */
class RoadmapSmokeTest {
    @TempDir
    Path tmp;

    Map<String, Double> smoke(String name, String... extra) throws Exception {
        String[] args = new String[3 + extra.length + 1];
        args[0] = name;
        args[1] = "--smoke";
        args[2] = "--out";
        args[3] = tmp.resolve(name).toString();
        System.arraycopy(extra, 0, args, 4, extra.length);
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        Map<String, Double> r = Samples.command(args, new PrintStream(buf, true, StandardCharsets.UTF_8));
        String out = buf.toString(StandardCharsets.UTF_8);
        assertTrue(out.contains("== results:"), out);
        return r;
    }

    @Test
    void listShowsEverySample() throws Exception {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        Samples.command(new String[] {"--list"}, new PrintStream(buf, true, StandardCharsets.UTF_8));
        for (Sample s : Samples.all()) {
            assertTrue(buf.toString(StandardCharsets.UTF_8).contains(s.name()));
            assertTrue(Files.isRegularFile(Path.of("docs", s.name() + ".md")), "README for " + s.name());
        }
    }

    @Test
    void gradientDescentFindsTheMinimumItsStartLeadsTo() throws Exception {
        Map<String, Double> r = smoke("gradient-descent");
        // f'(x) = 2x + 5 cos x = 0 only at x ≈ −1.1110: every start gets there with lr 0.1
        for (String s : new String[] {"-5", "-2", "0", "3", "6"}) {
            assertEquals(-1.1110, r.get("x[start=" + s + ",lr=0.10]"), 2e-3, "start " + s);
        }
        assertTrue(Math.abs(r.get("x[start=-2,lr=0.45]") + 1.111) > 1e-2, "lr 0.45 > 2/f'' oscillates");
        // g = x² + 10 sin x: minima at −1.306 and 3.837; the start point picks one
        assertEquals(-1.306, r.get("g:x[start=-2]"), 2e-3);
        assertEquals(3.837, r.get("g:x[start=6]"), 2e-3);
        assertTrue(Files.isRegularFile(tmp.resolve("gradient-descent/gradient-descent-trajectories.svg")));
    }

    @Test
    void schedulesTrainTheRegressionNetwork() throws Exception {
        Map<String, Double> r = smoke("lr-schedules");
        for (String k : new String[] {"constant", "cosine", "warmup+cosine"}) {
            assertTrue(r.get("final_loss_" + k) < 0.05, k + ": " + r.get("final_loss_" + k));
        }
        assertTrue(Files.isRegularFile(tmp.resolve("lr-schedules/lr-schedules.svg")));
    }
}
