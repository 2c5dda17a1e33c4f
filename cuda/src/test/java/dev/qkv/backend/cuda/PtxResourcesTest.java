package dev.qkv.backend.cuda;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The PTX shipped in the jar is well-formed for the driver (ISA version, target, address size)
 * and holds exactly the kernels {@link Kernels} launches, each with the parameter list the Java
 * side packs: a launch with a wrong argument list is caught here, without a GPU.
 */
class PtxResourcesTest {
    private static final Pattern ENTRY = Pattern.compile("\\.visible \\.entry (\\w+)\\(([^)]*)\\)");
    private static final Pattern PARAM = Pattern.compile(
            "\\.param (?:\\.align (\\d+) )?(\\.u64|\\.u32|\\.s32|\\.f64|\\.f32|\\.b8) \\w+?(?:\\[(\\d+)\\])?\\s*$");

    /** One parameter as PTX declares it: type, and for byte arrays (structs) the size and alignment. */
    record PtxParam(String type, int bytes, int align) {
    }

    /** Every .entry of a module with its parameters. */
    static Map<String, List<PtxParam>> entries(String ptx) {
        Map<String, List<PtxParam>> out = new LinkedHashMap<>();
        Matcher m = ENTRY.matcher(ptx);
        while (m.find()) {
            List<PtxParam> params = new ArrayList<>();
            for (String p : m.group(2).split(",")) {
                p = p.trim();
                if (p.isEmpty()) {
                    continue;
                }
                Matcher pm = PARAM.matcher(p);
                if (!pm.find()) {
                    fail("unparsed PTX parameter in " + m.group(1) + ": " + p);
                }
                String type = pm.group(2);
                int bytes = pm.group(3) == null ? (type.endsWith("64") ? 8 : 4) : Integer.parseInt(pm.group(3));
                int align = pm.group(1) == null ? bytes : Integer.parseInt(pm.group(1));
                params.add(new PtxParam(type.equals(".s32") ? ".u32" : type, bytes, align));
            }
            out.put(m.group(1), params);
        }
        return out;
    }

    @Test
    void everyModuleIsPtxTheSupportedDriversCanJit() {
        String isa = PtxModules.manifestValue("ptx-isa");
        assertEquals("8.0", isa, "docs/CUDA.md states the drivers for PTX ISA 8.0");
        List<String> modules = PtxModules.modules();
        assertEquals(Set.of("elementwise", "reduce", "softmax", "norm", "cross_entropy", "index", "optim", "gemm",
                "attention"), new HashSet<>(modules));
        for (String module : modules) {
            String ptx = PtxModules.text(module);
            assertTrue(ptx.contains("\n.version " + isa + "\n"), module + ": .version " + isa);
            assertTrue(ptx.contains("\n.target sm_80\n"), module + ": .target sm_80");
            assertTrue(ptx.contains("\n.address_size 64\n"), module + ": 64-bit");
            assertTrue(!entries(ptx).isEmpty(), module + " has kernels");
            byte[] image = PtxModules.image(module);
            assertEquals(0, image[image.length - 1], "cuModuleLoadData wants a NUL-terminated image");
        }
    }

    @Test
    void everyKernelSpecMatchesItsPtxSignature() {
        Map<String, Map<String, List<PtxParam>>> byModule = new LinkedHashMap<>();
        for (String module : PtxModules.modules()) {
            byModule.put(module, entries(PtxModules.text(module)));
        }
        Set<String> specified = new HashSet<>();
        for (KernelSpec k : Kernels.all()) {
            specified.add(k.name());
            List<PtxParam> ptx = byModule.get(k.module()).get(k.name());
            if (ptx == null) {
                fail("module " + k.module() + " has no .entry " + k.name());
            }
            assertEquals(k.params().size(), ptx.size(), k.name() + ": parameter count");
            for (int i = 0; i < ptx.size(); i++) {
                ParamKind kind = k.params().get(i);
                PtxParam p = ptx.get(i);
                String where = k.name() + " parameter " + i + " (" + kind + " vs " + p + ")";
                assertEquals(kind.ptxType, p.type(), where);
                assertEquals(kind.bytes, p.bytes(), where);
                if (kind.isStruct()) {
                    assertEquals(4, p.align(), where + ": the Dims/Strides structs are int-aligned");
                }
            }
        }
        for (var module : byModule.entrySet()) {
            for (String entry : module.getValue().keySet()) {
                assertTrue(specified.contains(entry), "kernel " + entry + " in " + module.getKey()
                        + ".ptx has no KernelSpec");
            }
        }
    }

    @Test
    void unaryAndBinaryKernelsAreNamedAfterTheOpsKernelNames() {
        for (dev.qkv.backend.UnaryOp op : dev.qkv.backend.UnaryOp.values()) {
            assertEquals(op.kernelName() + "_f32", Kernels.unary(op, true).name());
            assertEquals(op.kernelName() + "_any", Kernels.unary(op, false).name());
        }
        for (dev.qkv.backend.BinaryOp op : dev.qkv.backend.BinaryOp.values()) {
            assertEquals(op.kernelName() + "_f32", Kernels.binary(op, true).name());
        }
    }
}
