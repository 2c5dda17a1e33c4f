package dev.qkv.tensor;

import dev.qkv.autograd.Autograd;
import dev.qkv.nn.functional.F;
import dev.qkv.nn.functional.Reduction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every error names the op, the shapes (or index and size) involved, and what was expected. */
class ErrorMessageTest {

    /** Asserts that {@code call} throws {@code type} with every fragment in its message. */
    private static void assertError(Class<? extends Throwable> type, Executable call, String... fragments) {
        String m = assertThrows(type, call).getMessage();
        for (String f : fragments) {
            assertTrue(m.contains(f), "message lacks \"" + f + "\": " + m);
        }
    }

    private static final Class<IllegalArgumentException> ARG = IllegalArgumentException.class;
    private static final Class<IndexOutOfBoundsException> INDEX = IndexOutOfBoundsException.class;
    private static final Class<IllegalStateException> STATE = IllegalStateException.class;

    @Test
    void shapeMismatches() {
        assertError(ARG, () -> Tensor.zeros(2, 3).add(Tensor.zeros(4)), "add", "[2, 3]", "[4]", "must match or one must be 1");
        assertError(ARG, () -> Tensor.zeros(3, 1, 4).mul(Tensor.zeros(5, 2)), "mul", "[3, 1, 4]", "[5, 2]");
        assertError(ARG, () -> Tensor.zeros(2, 3).matmul(Tensor.zeros(4, 5)), "matmul", "[2, 3]", "[4, 5]",
                "last dim of the first (3)", "second-to-last dim of the second (4)");
        assertError(ARG, () -> Tensor.zeros(2, 3, 4).matmul(Tensor.zeros(3, 4, 5)), "matmul", "[2, 3, 4]", "[3, 4, 5]",
                "batch dims [2] and [3]");
        assertError(ARG, () -> Tensor.cat(List.of(Tensor.zeros(2, 3), Tensor.zeros(2, 4)), 0), "cat", "[2, 3]", "[2, 4]",
                "except dim 0");
        assertError(ARG, () -> Tensor.cat(List.of(Tensor.zeros(2, 3), Tensor.zeros(3)), 1), "cat", "[2, 3]", "[3]",
                "same number of dims");
        assertError(ARG, () -> Tensor.stack(List.of(Tensor.zeros(2), Tensor.zeros(3)), 0), "stack", "[2]", "[3]");
        Tensor cond = Tensor.zeros(2, 3).gt(0);
        assertError(ARG, () -> Tensor.where(cond, Tensor.zeros(4), Tensor.zeros(1)), "where", "[2, 3]", "[4]");
        assertError(ARG, () -> Tensor.where(cond, Tensor.zeros(3), Tensor.zeros(2, 1, 2)), "where", "[2, 1, 2]");
        assertError(ARG, () -> Tensor.where(Tensor.zeros(3), Tensor.zeros(3), Tensor.zeros(3)), "where", "BOOL", "FLOAT32");
        assertError(ARG, () -> Tensor.zeros(2, 3).maskedFill(Tensor.zeros(2, 1, 3).gt(0), 0), "maskedFill",
                "[2, 1, 3]", "[2, 3]");
        assertError(ARG, () -> Tensor.zeros(2, 3).view(4), "view", "[4]", "[2, 3]");
        assertError(ARG, () -> Tensor.zeros(2, 3).reshape(-1, 4), "reshape", "[-1, 4]", "[2, 3]");
        assertError(ARG, () -> Tensor.zeros(2, 3).expand(4, 3), "expand", "[2, 3]", "[4, 3]");
        assertError(ARG, () -> Tensor.zeros(2, 3).copy_(Tensor.zeros(4, 3)), "copy_", "[4, 3]", "[2, 3]");
        assertError(ARG, () -> Tensor.zeros(2, 3).add_(Tensor.zeros(4, 3)), "add_", "[4, 3]", "[2, 3]");
        assertError(ARG, () -> Tensor.zeros(2, 3).add_(Tensor.zeros(2, 2, 3)), "add_", "[2, 2, 3]", "[2, 3]");
        assertError(ARG, () -> Tensor.zeros(2, 3).matmul(Tensor.zeros(DType.FLOAT64, 3)), "matmul", "FLOAT32", "FLOAT64");
        assertError(ARG, () -> Tensor.fromArray(new float[5], 2, 3), "fromArray", "5", "[2, 3]");
    }

    @Test
    void functionalShapeMismatches() {
        assertError(ARG, () -> F.layerNorm(Tensor.zeros(2, 3), new int[] {2}, null, null, 1e-5), "layerNorm", "[2]", "[2, 3]");
        assertError(ARG, () -> F.layerNorm(Tensor.zeros(2, 3), new int[] {3}, Tensor.zeros(4), null, 1e-5), "layerNorm",
                "[4]", "[3]");
        assertError(ARG, () -> F.rmsNorm(Tensor.zeros(2, 3), new int[] {3}, Tensor.zeros(DType.FLOAT64, 3), 1e-5), "rmsNorm",
                "FLOAT64", "FLOAT32");
        assertError(ARG, () -> F.linear(Tensor.zeros(2, 3), Tensor.zeros(4, 2), null), "linear", "[2, 3]", "[4, 2]");
        assertError(ARG, () -> F.crossEntropy(Tensor.zeros(2, 3), Tensor.ofLongs(1, 2, 0)), "crossEntropy", "[2, 3]", "[3]",
                "expected logits [N, C] with targets [N]");
        assertError(ARG, () -> F.crossEntropy(Tensor.zeros(2, 3), Tensor.of(1, 2)), "crossEntropy", "integer", "FLOAT32");
        assertError(ARG, () -> F.mseLoss(Tensor.zeros(2, 3), Tensor.zeros(3)), "mseLoss", "[2, 3]", "[3]");
        assertError(ARG, () -> F.binaryCrossEntropyWithLogits(Tensor.zeros(2), Tensor.zeros(3)), "binaryCrossEntropyWithLogits",
                "[2]", "[3]");
        assertError(ARG, () -> F.softmax(Tensor.ofLongs(1, 2), 0), "softmax", "INT64");
        assertError(ARG, () -> F.embedding(Tensor.of(1), Tensor.zeros(4, 2)), "embedding", "FLOAT32", "integer");
    }

    @Test
    void badDims() {
        assertError(INDEX, () -> Tensor.zeros(2, 3).sum(2), "sum", "dim 2", "[2, 3]", "-2 to 1");
        assertError(INDEX, () -> Tensor.zeros(2, 3).mean(-3), "mean", "dim -3", "[2, 3]", "-2 to 1");
        assertError(INDEX, () -> Tensor.zeros(2, 3).max(new int[] {0, 5}, false), "max", "dim 5");
        assertError(ARG, () -> Tensor.zeros(2, 3).sum(new int[] {1, -1}, false), "sum", "appears twice");
        assertError(INDEX, () -> Tensor.zeros(2, 3).argmax(2, false), "argmax", "dim 2");
        assertError(INDEX, () -> Tensor.zeros(2, 3).transpose(0, -3), "transpose", "dim -3", "[2, 3]");
        assertError(INDEX, () -> Tensor.zeros(2, 3).permute(0, 2), "permute", "dim 2");
        assertError(ARG, () -> Tensor.zeros(2, 3).permute(0), "permute", "[0]", "rank 2");
        assertError(ARG, () -> Tensor.zeros(2, 3, 4).t(), "t", "2-D", "[2, 3, 4]");
        assertError(INDEX, () -> Tensor.zeros(2, 3).unsqueeze(3), "unsqueeze", "dim 3", "[2, 3]", "-3 to 2");
        assertDoesNotThrow(() -> Tensor.zeros(2, 3).unsqueeze(-3));
        assertError(INDEX, () -> Tensor.zeros(2, 3).squeeze(2), "squeeze", "dim 2");
        assertError(INDEX, () -> Tensor.zeros(2, 3).size(-3), "size", "dim -3", "[2, 3]");
        assertError(INDEX, () -> Tensor.zeros(2, 3).flatten(0, 2), "flatten", "dim 2");
        assertError(INDEX, () -> Tensor.cat(List.of(Tensor.zeros(2)), 1), "cat", "dim 1", "[2]");
        assertError(INDEX, () -> Tensor.zeros(2).split(1, -2), "split", "dim -2");
        assertError(INDEX, () -> F.softmax(Tensor.zeros(2, 3), 2), "softmax", "dim 2", "[2, 3]");
        assertError(INDEX, () -> F.logSoftmax(Tensor.zeros(2, 3), -3), "logSoftmax", "dim -3");
        // a 0-dim tensor accepts dim 0 and -1 in reductions, but has no dim to index
        assertError(INDEX, () -> Tensor.scalar(1).sum(1), "sum", "dim 1", "[]", "-1 to 0");
        assertError(INDEX, () -> Tensor.scalar(1).size(0), "size", "0-dim");
        assertError(INDEX, () -> Tensor.scalar(1).select(0, 0), "select", "0-dim");
        assertError(INDEX, () -> Tensor.cat(List.of(Tensor.scalar(1), Tensor.scalar(2)), 0), "cat", "0-dim");
    }

    @Test
    void badIndices() {
        assertError(INDEX, () -> Tensor.zeros(2, 3).select(1, 3), "select", "index 3", "size 3", "[2, 3]");
        assertError(INDEX, () -> Tensor.zeros(2, 3).select(0, -3), "select", "index -3", "size 2");
        assertError(INDEX, () -> Tensor.zeros(2, 3).narrow(1, 2, 2), "narrow", "start 2", "length 2", "size 3", "[2, 3]");
        assertError(INDEX, () -> Tensor.zeros(2, 3).narrow(0, -1, 1), "narrow", "start -1");
        assertError(INDEX, () -> Tensor.zeros(5, 3).indexSelect(0, Tensor.ofLongs(1, 7)), "indexSelect", "index 7", "size 5");
        assertError(INDEX, () -> Tensor.zeros(5, 3).indexSelect(1, Tensor.ofLongs(-1)), "indexSelect", "index -1", "size 3");
        assertError(ARG, () -> Tensor.zeros(5, 3).indexSelect(0, Tensor.of(1)), "indexSelect", "integer", "FLOAT32");
        assertError(ARG, () -> Tensor.zeros(5, 3).indexSelect(0, Tensor.zeros(DType.INT64, 1, 1)), "indexSelect", "[1, 1]");
        assertError(INDEX, () -> Tensor.zeros(5, 3).gather(1, Tensor.fromArray(new long[] {3}, 1, 1)), "gather", "index 3",
                "size 3");
        assertError(ARG, () -> Tensor.zeros(2, 3).gather(1, Tensor.ofLongs(0)), "gather", "rank 1", "rank 2");
        assertError(ARG, () -> Tensor.zeros(2, 3).gather(1, Tensor.zeros(DType.INT64, 3, 1)), "gather", "[3, 1]", "[2, 3]");
        assertError(INDEX, () -> F.crossEntropy(Tensor.zeros(2, 3), Tensor.ofLongs(1, 3)), "crossEntropy", "target 3",
                "3 classes");
        assertError(INDEX, () -> F.crossEntropy(Tensor.zeros(2, 3), Tensor.ofLongs(-1, 0)), "crossEntropy", "target -1");
        assertError(INDEX, () -> F.nllLoss(Tensor.zeros(2, 3), Tensor.ofLongs(1, 5), Reduction.MEAN, -100), "nllLoss",
                "target 5", "3 classes");
        assertError(INDEX, () -> F.embedding(Tensor.ofLongs(0, 4), Tensor.zeros(4, 2)), "embedding", "id 4", "4 rows",
                "[4, 2]");
        assertError(INDEX, () -> F.oneHot(Tensor.ofLongs(3), 3), "oneHot", "3", "3 classes");
        assertError(STATE, () -> Tensor.zeros(2, 3).item(), "item", "[2, 3]");
        assertError(ARG, () -> Tensor.zeros(2, 3).get(1), "get", "1 indices", "rank 2");
    }

    @Test
    void autogradMisuse() {
        assertError(STATE, () -> Tensor.of(1, 2).requiresGrad(true).mul(2).backward(), "backward", "scalar", "[2]");
        assertError(STATE, () -> Tensor.of(1, 2).mul(2).sum().backward(), "backward", "does not require grad");
        assertError(ARG, () -> Tensor.of(1, 2).requiresGrad(true).mul(2).backward(Tensor.zeros(3)), "backward", "[3]", "[2]");
        Tensor leaf = Tensor.zeros(2, 3).requiresGrad(true);
        assertError(STATE, () -> leaf.fill_(1), "fill_", "requires grad", "leaf", "[2, 3]", "noGrad");
        assertError(STATE, () -> leaf.add_(Tensor.ones(3)), "add_", "leaf");
        assertError(STATE, () -> leaf.narrow(0, 0, 1).mul_(2), "mul_", "computed by 'narrow'", "[1, 3]");
        try (var s = Autograd.noGrad()) {
            assertDoesNotThrow(() -> leaf.fill_(1), "in place is fine under noGrad (an optimizer step)");
        }
        assertError(ARG, () -> Tensor.zeros(DType.INT64, 2).requiresGrad(true), "requiresGrad", "floating", "INT64", "[2]");
        assertError(ARG, () -> Tensor.zeros(2).gt(0).requiresGrad(true), "requiresGrad", "BOOL");
        assertError(STATE, () -> Tensor.zeros(2).requiresGrad(true).mul(2).requiresGrad(false), "requiresGrad(false)",
                "'mul'", "detach");
        assertError(ARG, () -> Tensor.zeros(2).setGrad(Tensor.zeros(3)), "setGrad", "[3]", "[2]");
    }

    @Test
    void badArguments() {
        assertError(ARG, () -> Tensor.zeros(3).clamp(1, 0), "clamp", "min 1.0", "max 0.0");
        assertError(ARG, () -> Tensor.zeros(3).split(0, 0), "split", "positive");
        assertError(ARG, () -> Tensor.zeros(3).chunk(0, 0), "chunk", "positive");
        assertError(ARG, () -> Tensor.zeros(3).slice(0, 0, 3, 0), "slice", "step", "positive");
        assertError(ARG, () -> Tensor.zeros(3).view(-1, -1), "view", "only one dim may be -1");
        assertError(ARG, () -> Tensor.arange(0, 1, 0), "arange", "step");
        assertError(ARG, () -> Tensor.randint(new Generator(1), 3, 3, 2), "randint", "low < high");
        assertError(ARG, () -> F.dropout(Tensor.zeros(2), 1.5, true, new Generator(1)), "dropout", "[0, 1]", "1.5");
        assertError(ARG, () -> F.crossEntropy(Tensor.zeros(2, 3), Tensor.ofLongs(0, 1), Reduction.MEAN, -100, 1.5),
                "crossEntropy", "labelSmoothing", "1.5");
        assertError(ARG, () -> Tensor.cat(List.of(), 0), "cat", "non-empty");
    }
}
