package dev.qkv.nn;

import dev.qkv.nn.functional.F;
import dev.qkv.tensor.DType;
import dev.qkv.tensor.Device;
import dev.qkv.tensor.Generator;
import dev.qkv.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The module tree: names, state dicts, modes, devices and printing. */
class ModuleTest {

    /** A model with a parameter, two buffers and a Sequential child, as a model file would write it. */
    static final class Net extends UnaryModule {
        final Parameter scale;
        final Sequential layers;

        Net(Generator g) {
            scale = registerParameter("scale", new Parameter(Tensor.ones(3)));
            registerBuffer("mask", Tensor.ones(3));
            registerBuffer("cache", Tensor.zeros(2), false);
            layers = registerModule("layers", new Sequential(new Linear(3, 4, true, g), new ReLU(), new Linear(4, 2, g)));
        }

        @Override
        public Tensor forward(Tensor x) {
            return layers.forward(x.mul(scale).mul(buffer("mask")));
        }
    }

    @Test
    void namesAreDottedPathsInRegistrationOrder() {
        Net net = new Net(new Generator(0));
        assertEquals(List.of("scale", "layers.0.weight", "layers.0.bias", "layers.2.weight", "layers.2.bias"),
                List.copyOf(net.namedParameters().keySet()));
        assertEquals(List.of("mask", "cache"), List.copyOf(net.namedBuffers().keySet()));
        assertEquals(List.of("", "layers", "layers.0", "layers.1", "layers.2"), List.copyOf(net.namedModules().keySet()));
        assertEquals(List.of("layers"), List.copyOf(net.namedChildren().keySet()));
        assertSame(net.layers, net.children().get(0));
        assertSame(net.scale, net.parameters().get(0));
        // 3 + (4·3 + 4) + (2·4 + 2)
        assertEquals(3 + 16 + 10, net.numParameters());
    }

    @Test
    void stateDictHoldsParametersAndPersistentBuffersOnly() {
        Net net = new Net(new Generator(0));
        Map<String, Tensor> sd = net.stateDict();
        assertEquals(List.of("scale", "mask", "layers.0.weight", "layers.0.bias", "layers.2.weight", "layers.2.bias"),
                List.copyOf(sd.keySet()));
        // Values share storage with the model but are outside the graph.
        assertSame(net.scale.storage(), sd.get("scale").storage());
        assertFalse(sd.get("scale").requiresGrad());
    }

    @Test
    void registrationRejectsBadAndDuplicateNames() {
        class Bad extends Module {
            void add(String name) {
                registerParameter(name, new Parameter(Tensor.zeros(1)));
            }
        }
        Bad bad = new Bad();
        bad.add("w");
        IllegalArgumentException dup = assertThrows(IllegalArgumentException.class, () -> bad.add("w"));
        assertTrue(dup.getMessage().contains("already has") && dup.getMessage().contains("'w'"), dup.getMessage());
        IllegalArgumentException dot = assertThrows(IllegalArgumentException.class, () -> bad.add("a.b"));
        assertTrue(dot.getMessage().contains("'a.b'"), dot.getMessage());
    }

    @Test
    void stateDictRoundTripCopiesValuesIntoTheSameParameters() {
        Net a = new Net(new Generator(1));
        Net b = new Net(new Generator(2));
        Tensor x = Tensor.randn(new Generator(3), 5, 3);
        assertFalse(a.forward(x).allClose(b.forward(x)));
        List<Parameter> before = b.parameters();

        Module.LoadResult r = b.loadStateDict(a.stateDict(), true);

        assertTrue(r.missingKeys().isEmpty() && r.unexpectedKeys().isEmpty());
        assertArrayEquals(a.forward(x).toFloatArray(), b.forward(x).toFloatArray());
        for (int i = 0; i < before.size(); i++) {
            assertSame(before.get(i), b.parameters().get(i));
            assertTrue(before.get(i).requiresGrad());
        }
        // Copied, not aliased: changing a afterwards leaves b alone.
        Init.zeros_(((Linear) a.layers.get(0)).weight);
        assertFalse(a.forward(x).allClose(b.forward(x)));
    }

    @Test
    void strictLoadListsEveryProblemAndLoadsNothing() {
        Net net = new Net(new Generator(1));
        LinkedHashMap<String, Tensor> sd = new Net(new Generator(2)).stateDict();
        sd.remove("layers.0.bias");
        sd.remove("mask");
        sd.put("layers.9.weight", Tensor.zeros(1));
        sd.put("layers.2.weight", Tensor.zeros(4, 2));   // transposed
        float[] before = ((Linear) net.layers.get(0)).weight.toFloatArray();

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> net.loadStateDict(sd, true));

        String msg = e.getMessage();
        for (String expected : new String[] {"layers.0.bias", "mask", "layers.9.weight",
                "layers.2.weight (state dict [4, 2], model [2, 4])", "missing", "unexpected", "shape"}) {
            assertTrue(msg.contains(expected), "'" + expected + "' not in: " + msg);
        }
        assertArrayEquals(before, ((Linear) net.layers.get(0)).weight.toFloatArray(), "nothing may be loaded");
    }

    @Test
    void nonStrictLoadReportsKeysButStillRejectsShapeMismatches() {
        Net net = new Net(new Generator(1));
        LinkedHashMap<String, Tensor> sd = new Net(new Generator(2)).stateDict();
        sd.remove("scale");
        sd.put("extra", Tensor.zeros(1));
        Module.LoadResult r = net.loadStateDict(sd, false);
        assertEquals(List.of("scale"), r.missingKeys());
        assertEquals(List.of("extra"), r.unexpectedKeys());
        assertArrayEquals(sd.get("layers.0.weight").toFloatArray(),
                ((Linear) net.layers.get(0)).weight.toFloatArray());

        sd.put("scale", Tensor.zeros(4));
        assertThrows(IllegalArgumentException.class, () -> net.loadStateDict(sd, false));
    }

    @Test
    void loadConvertsDtype() {
        Linear lin = new Linear(2, 2, true, new Generator(0));
        Map<String, Tensor> sd = new LinkedHashMap<>();
        sd.put("weight", Tensor.fromArray(new double[] {1, 2, 3, 4}, 2, 2));
        sd.put("bias", Tensor.fromArray(new double[] {5, 6}, 2));
        lin.loadStateDict(sd, true);
        assertEquals(DType.FLOAT32, lin.weight.dtype());
        assertArrayEquals(new float[] {1, 2, 3, 4}, lin.weight.toFloatArray());
    }

    @Test
    void tiedWeightsAreOneParameterButTwoStateDictKeys() {
        class Tied extends Module {
            final Embedding wte;
            final Linear head;

            Tied(Generator g) {
                wte = registerModule("wte", new Embedding(10, 4, g));
                head = registerModule("lm_head", new Linear(wte.weight, null));   // GPT-2's tied output layer
            }
        }
        Tied t = new Tied(new Generator(0));
        assertSame(t.wte.weight, t.head.weight);
        assertEquals(List.of("wte.weight"), List.copyOf(t.namedParameters().keySet()));
        assertEquals(40, t.numParameters());
        assertEquals(List.of("wte.weight", "lm_head.weight"), List.copyOf(t.stateDict().keySet()));
        // Both uses add into the one gradient.
        Tensor ids = Tensor.ofLongs(3);
        t.head.forward(t.wte.forward(ids)).sum().backward();
        Tensor w = t.wte.weight.detach();
        // L = Σ_j Σ_c W[j][c]·W[3][c]: dL/dW[r][c] = W[3][c] (head) + (r == 3 ? Σ_j W[j][c] : 0) (embedding)
        float[] grad = t.wte.weight.grad().toFloatArray();
        float[] w3 = w.select(0, 3).toFloatArray();
        float[] colSums = w.sum(0).toFloatArray();
        for (int r = 0; r < 10; r++) {
            for (int c = 0; c < 4; c++) {
                float want = w3[c] + (r == 3 ? colSums[c] : 0);
                assertEquals(want, grad[r * 4 + c], 1e-5, "grad[" + r + "][" + c + "]");
            }
        }
    }

    @Test
    void trainAndEvalReachEveryModuleAndToggleDropout() {
        Generator g = new Generator(0);
        Sequential seq = new Sequential(new Linear(8, 8, true, g), new Sequential(new Dropout(0.5, g)));
        assertTrue(seq.isTraining());
        Tensor x = Tensor.ones(4, 8);
        Tensor train1 = seq.forward(x);
        Tensor train2 = seq.forward(x);
        assertFalse(train1.allClose(train2), "dropout should draw a new mask each call in training");

        seq.eval();
        for (Module m : seq.modules()) {
            assertFalse(m.isTraining(), m.toString());
        }
        assertArrayEquals(((Linear) seq.get(0)).forward(x).toFloatArray(), seq.forward(x).toFloatArray());
        seq.train();
        assertTrue(((Sequential) seq.get(1)).get(0).isTraining());
    }

    @Test
    void zeroGradClearsEveryParameter() {
        Net net = new Net(new Generator(0));
        net.forward(Tensor.ones(2, 3)).sum().backward();
        for (Parameter p : net.parameters()) {
            assertNotNull(p.grad());
        }
        net.zeroGrad();
        for (Parameter p : net.parameters()) {
            assertNull(p.grad());
        }
    }

    @Test
    void applyVisitsChildrenBeforeParents() {
        Net net = new Net(new Generator(0));
        List<String> seen = new ArrayList<>();
        net.apply(m -> seen.add(m.getClass().getSimpleName()));
        assertEquals(List.of("Linear", "ReLU", "Linear", "Sequential", "Net"), seen);
    }

    @Test
    void toStringIsATreeLikePyTorchs() {
        Generator g = new Generator(0);
        Sequential seq = new Sequential(new Linear(4, 8, true, g), new Tanh(),
                new Sequential(new Dropout(0.1, g), new Linear(8, 3, false, g)), new LayerNorm(3), new Embedding(5, 2, g),
                new GELU(true), new Softmax(-1));
        assertEquals("""
                Sequential(
                  (0): Linear(in_features=4, out_features=8, bias=True)
                  (1): Tanh()
                  (2): Sequential(
                    (0): Dropout(p=0.1)
                    (1): Linear(in_features=8, out_features=3, bias=False)
                  )
                  (3): LayerNorm((3,), eps=1.0E-5, elementwise_affine=True)
                  (4): Embedding(5, 2)
                  (5): GELU(approximate='tanh')
                  (6): Softmax(dim=-1)
                )""", seq.toString());
    }

    @Test
    void toCpuIsANoOpThatKeepsIdentity() {
        Net net = new Net(new Generator(0));
        List<Parameter> params = net.parameters();
        List<Object> storages = new ArrayList<>();
        for (Parameter p : params) {
            storages.add(p.storage());
        }
        Tensor mask = net.buffer("mask");
        assertSame(net, net.to(Device.CPU));
        for (int i = 0; i < params.size(); i++) {
            assertSame(params.get(i), net.parameters().get(i));
            assertSame(storages.get(i), params.get(i).storage());
        }
        assertSame(mask, net.buffer("mask"));
    }

    @Test
    void toDtypeConvertsParametersGradientsAndFloatingBuffersInPlace() {
        Net net = new Net(new Generator(0));
        net.forward(Tensor.ones(2, 3)).sum().backward();
        Parameter scale = net.scale;
        float[] values = ((Linear) net.layers.get(0)).weight.toFloatArray();
        net.to(DType.FLOAT64);
        assertSame(scale, net.parameters().get(0));
        assertEquals(DType.FLOAT64, scale.dtype());
        assertEquals(DType.FLOAT64, scale.grad().dtype());
        assertEquals(DType.FLOAT64, net.buffer("mask").dtype());
        assertTrue(scale.requiresGrad());
        assertArrayEquals(values, ((Linear) net.layers.get(0)).weight.toFloatArray());
        assertEquals(DType.FLOAT64, net.forward(Tensor.ones(2, 3).to(DType.FLOAT64)).dtype());
        assertThrows(IllegalArgumentException.class, () -> net.to(DType.INT64));
    }

    @Test
    void parameterSharesDataAndKeepsItsShape() {
        Tensor data = Tensor.of(1, 2, 3);
        Parameter p = new Parameter(data);
        assertSame(data.storage(), p.storage());
        assertTrue(p.requiresGrad() && p.isLeaf());
        p.setData(Tensor.of(4, 5, 6));
        assertArrayEquals(new float[] {4, 5, 6}, p.toFloatArray());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> p.setData(Tensor.zeros(2)));
        assertTrue(e.getMessage().contains("[2]") && e.getMessage().contains("[3]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Parameter(Tensor.ofLongs(1, 2)));
        assertTrue(p.toString().startsWith("Parameter containing:"));
    }

    @Test
    void modulesWorkWithFunctionalLosses() {
        // A model's parameters receive gradients through F ops: the contract the optimizers rely on.
        Net net = new Net(new Generator(0));
        Tensor loss = F.crossEntropy(net.forward(Tensor.ones(4, 3)), Tensor.ofLongs(0, 1, 1, 0));
        loss.backward();
        for (var e : net.namedParameters().entrySet()) {
            assertNotNull(e.getValue().grad(), e.getKey());
        }
    }

    @Test
    void moduleListNamesItsItemsByIndex() {
        class Stack extends Module {
            final ModuleList<Linear> h;

            Stack(Generator g) {
                h = registerModule("h", new ModuleList<>(List.of(new Linear(2, 2, g), new Linear(2, 2, g))));
            }
        }
        Stack s = new Stack(new Generator(0));
        assertEquals(List.of("h.0.weight", "h.0.bias", "h.1.weight", "h.1.bias"), List.copyOf(s.stateDict().keySet()));
        assertEquals(2, s.h.size());
        int n = 0;
        for (Linear l : s.h) {
            n += l.inFeatures;
        }
        assertEquals(4, n);
    }
}
