package dev.qkv.models.hf;

import dev.qkv.autograd.Autograd;
import dev.qkv.io.AtomicFiles;
import dev.qkv.io.Json;
import dev.qkv.io.SafeTensors;
import dev.qkv.io.SafeTensorsFile;
import dev.qkv.models.CausalLM;
import dev.qkv.models.bert.BertConfig;
import dev.qkv.models.bert.BertForMaskedLM;
import dev.qkv.models.gpt.GPT;
import dev.qkv.models.gpt.GPTConfig;
import dev.qkv.models.llama.Llama;
import dev.qkv.models.llama.LlamaConfig;
import dev.qkv.nn.Module;
import dev.qkv.nn.Parameter;
import dev.qkv.tensor.Generator;
import dev.qkv.tensor.Tensor;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * Loads Hugging Face model directories: config.json plus model.safetensors, or shards listed in
 * model.safetensors.index.json. Supported architectures: GPT-2 ({@code model_type} "gpt2", names
 * with or without the {@code transformer.} prefix, Conv1D weights stored [in, out]) and
 * Llama-family decoders ("llama", "mistral"), and BERT ("bert", as a masked-LM model).
 *
 * <p>Everything in the directory is untrusted: config values are type- and range-checked, shard
 * names must be plain file names inside the directory, and the tensor names are checked as a
 * whole — one exception lists every missing, unexpected and mis-shaped tensor. Buffers that
 * real checkpoints carry but that are not parameters (GPT-2's causal-mask {@code attn.bias} and
 * {@code attn.masked_bias}, Llama's {@code rotary_emb.inv_freq}) are ignored.
 */
public final class HuggingFace {
    private HuggingFace() {
    }

    private static final int MAX_CONFIG_BYTES = 4 << 20;
    private static final Pattern GPT2_BUFFERS = Pattern.compile("h\\.\\d+\\.attn\\.(bias|masked_bias)");
    private static final Pattern LLAMA_BUFFERS = Pattern.compile("model\\.layers\\.\\d+\\.self_attn\\.rotary_emb\\.inv_freq");
    private static final List<String> GPT2_CONV1D = List.of("attn.c_attn.weight", "attn.c_proj.weight",
            "mlp.c_fc.weight", "mlp.c_proj.weight");

    /** Reads config.json as a JSON object. */
    public static Map<String, Object> readConfig(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new IOException("model directory " + dir + " does not exist");
        }
        Path file = dir.resolve("config.json");
        if (!Files.isRegularFile(file)) {
            throw new IOException(dir + " has no config.json");
        }
        Object root;
        try {
            root = Json.parse(file, MAX_CONFIG_BYTES);
        } catch (RuntimeException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
        if (!(root instanceof Map<?, ?> m)) {
            throw new IOException(file + ": expected a JSON object");
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> config = (Map<String, Object>) m;
        return config;
    }

    /** Loads a GPT-2 or Llama-family directory as a causal language model. */
    public static CausalLM loadCausalLM(Path dir) throws IOException {
        Map<String, Object> config = readConfig(dir);
        String type = String.valueOf(config.get("model_type"));
        return switch (type) {
            case "gpt2" -> loadGpt2(dir, config);
            case "llama", "mistral" -> loadLlama(dir, config);
            default -> throw new IOException(dir.resolve("config.json") + ": unsupported model_type '" + type
                    + "' (supported: gpt2, llama, mistral)");
        };
    }

    // ===================================================================== GPT-2

    public static GPTConfig gpt2Config(Map<String, Object> c, Path where) throws IOException {
        Config cfg = new Config(c, where);
        String act = cfg.string("activation_function", "gelu_new");
        if (!act.equals("gelu_new") && !act.equals("gelu_pytorch_tanh") && !act.equals("gelu_fast")) {
            throw new IOException(where + ": activation_function '" + act + "' is not supported (GPT-2 uses gelu_new)");
        }
        int positions = cfg.intValue("n_positions", c.containsKey("n_ctx") ? cfg.intValue("n_ctx", 1024) : 1024);
        try {
            return new GPTConfig(cfg.intValue("vocab_size"), positions, cfg.intValue("n_layer"), cfg.intValue("n_head"),
                    cfg.intValue("n_embd"), 0.0, true, cfg.number("layer_norm_epsilon", 1e-5));
        } catch (IllegalArgumentException e) {
            throw new IOException(where + ": " + e.getMessage(), e);
        }
    }

    static GPT loadGpt2(Path dir, Map<String, Object> config) throws IOException {
        GPT model = new GPT(gpt2Config(config, dir.resolve("config.json")), new Generator(0));
        try (Checkpoint ck = Checkpoint.open(dir)) {
            boolean prefixed = ck.names().stream().anyMatch(n -> n.startsWith("transformer."));
            Map<String, String> map = new LinkedHashMap<>();       // checkpoint name -> qkv name
            List<String> ignored = new ArrayList<>();
            for (String name : ck.names()) {
                String bare = prefixed && name.startsWith("transformer.") ? name.substring("transformer.".length()) : name;
                if (GPT2_BUFFERS.matcher(bare).matches() || name.equals("lm_head.weight")) {
                    ignored.add(name);                              // causal-mask buffers; lm_head is tied to wte
                } else {
                    map.put(name, "transformer." + bare);
                }
            }
            load(model, ck, map, qkvName -> GPT2_CONV1D.stream().anyMatch(qkvName::endsWith));
        }
        model.eval();
        return model;
    }

    /** Writes a GPT in Hugging Face's GPT-2 layout (config.json + model.safetensors), atomically. */
    public static void saveGpt2(GPT model, Path dir) throws IOException {
        Files.createDirectories(dir);
        GPTConfig c = model.config;
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("model_type", "gpt2");
        config.put("architectures", List.of("GPT2LMHeadModel"));
        config.put("vocab_size", (long) c.vocabSize());
        config.put("n_positions", (long) c.blockSize());
        config.put("n_ctx", (long) c.blockSize());
        config.put("n_embd", (long) c.nEmbd());
        config.put("n_layer", (long) c.nLayer());
        config.put("n_head", (long) c.nHead());
        config.put("layer_norm_epsilon", c.layerNormEps());
        config.put("activation_function", "gelu_new");
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (var e : model.namedParameters().entrySet()) {
            String name = e.getKey().substring("transformer.".length());
            Tensor t = e.getValue().detach();
            tensors.put(name, GPT2_CONV1D.stream().anyMatch(name::endsWith) ? t.t().contiguous() : t);
        }
        SafeTensors.save(dir.resolve("model.safetensors"), tensors, Map.of("format", "pt"));
        byte[] json = Json.write(config).getBytes(StandardCharsets.UTF_8);
        AtomicFiles.write(dir.resolve("config.json"), out -> out.write(json));
    }

    // ===================================================================== Llama

    public static LlamaConfig llamaConfig(Map<String, Object> c, Path where) throws IOException {
        Config cfg = new Config(c, where);
        String act = cfg.string("hidden_act", "silu");
        if (!act.equals("silu")) {
            throw new IOException(where + ": hidden_act '" + act + "' is not supported (Llama uses silu)");
        }
        double scaling = 1.0;
        if (c.get("rope_scaling") instanceof Map<?, ?> rs) {
            Object type = rs.containsKey("rope_type") ? rs.get("rope_type") : rs.get("type");
            if (!"linear".equals(type) || !(rs.get("factor") instanceof Number f) || !(f.doubleValue() > 0)) {
                throw new IOException(where + ": rope_scaling " + rs + " is not supported (only {\"type\": \"linear\", "
                        + "\"factor\": f > 0})");
            }
            scaling = ((Number) rs.get("factor")).doubleValue();
        } else if (c.get("rope_scaling") != null) {
            throw new IOException(where + ": rope_scaling must be an object or null, got " + c.get("rope_scaling"));
        }
        int heads = cfg.intValue("num_attention_heads");
        try {
            return new LlamaConfig(cfg.intValue("vocab_size"), cfg.intValue("hidden_size"),
                    cfg.intValue("intermediate_size"), cfg.intValue("num_hidden_layers"), heads,
                    cfg.intValue("num_key_value_heads", heads), cfg.number("rms_norm_eps", 1e-6),
                    cfg.number("rope_theta", 10000.0), scaling, cfg.intValue("max_position_embeddings", 2048),
                    cfg.bool("tie_word_embeddings", false));
        } catch (IllegalArgumentException e) {
            throw new IOException(where + ": " + e.getMessage(), e);
        }
    }

    static Llama loadLlama(Path dir, Map<String, Object> config) throws IOException {
        Llama model = new Llama(llamaConfig(config, dir.resolve("config.json")), new Generator(0));
        try (Checkpoint ck = Checkpoint.open(dir)) {
            Map<String, String> map = new LinkedHashMap<>();
            for (String name : ck.names()) {
                if (LLAMA_BUFFERS.matcher(name).matches()) {
                    continue;
                }
                if (name.equals("lm_head.weight") && model.config.tieWordEmbeddings()) {
                    continue;                                       // tied to the embedding
                }
                map.put(name, name);
            }
            load(model, ck, map, n -> false);
        }
        model.eval();
        return model;
    }

    // ===================================================================== BERT

    private static final Pattern BERT_BUFFERS = Pattern.compile("(bert\\.)?embeddings\\.position_ids");

    /**
     * A BERT directory as a masked-LM model. Names with or without the {@code bert.} prefix load;
     * old checkpoints' LayerNorm {@code gamma}/{@code beta} are read as weight/bias; the decoder
     * weight is tied to the word embeddings (a stored copy is ignored). A pretraining checkpoint's
     * pooler and next-sentence head ({@code bert.pooler.*}, {@code cls.seq_relationship.*}) are not
     * part of the masked-LM model and are skipped, as Hugging Face does for BertForMaskedLM.
     */
    public static BertForMaskedLM loadBert(Path dir) throws IOException {
        Map<String, Object> config = readConfig(dir);
        if (!"bert".equals(config.get("model_type"))) {
            throw new IOException(dir.resolve("config.json") + ": model_type is " + config.get("model_type")
                    + ", expected bert");
        }
        BertConfig cfg;
        try {
            cfg = BertConfig.fromJson(config);
        } catch (RuntimeException e) {
            throw new IOException(dir.resolve("config.json") + ": " + e.getMessage(), e);
        }
        BertForMaskedLM model = new BertForMaskedLM(cfg, new Generator(0));
        try (Checkpoint ck = Checkpoint.open(dir)) {
            boolean prefixed = ck.names().stream().anyMatch(n -> n.startsWith("bert."));
            Map<String, String> map = new LinkedHashMap<>();
            for (String name : ck.names()) {
                String q = prefixed || name.startsWith("cls.") ? name : "bert." + name;
                q = q.replace("LayerNorm.gamma", "LayerNorm.weight").replace("LayerNorm.beta", "LayerNorm.bias");
                if (BERT_BUFFERS.matcher(name).matches() || q.startsWith("bert.pooler.")
                        || q.startsWith("cls.seq_relationship.") || q.equals("cls.predictions.decoder.weight")) {
                    continue;
                }
                if (q.equals("cls.predictions.decoder.bias")) {
                    if (ck.names().contains("cls.predictions.bias")) {
                        continue;                                   // the same tensor, stored twice
                    }
                    q = "cls.predictions.bias";
                }
                map.put(name, q);
            }
            load(model, ck, map, n -> false);
        }
        model.eval();
        return model;
    }

    // ===================================================================== shared

    /**
     * Copies checkpoint tensors into the model's parameters, after checking the whole mapping:
     * every parameter must be provided once, every mapped checkpoint name must be a parameter,
     * and every shape must match ({@code transposed} names the parameters stored as [in, out]).
     * Tensors are read one at a time.
     */
    static void load(Module model, Checkpoint ck, Map<String, String> map, Predicate<String> transposed)
            throws IOException {
        Map<String, Parameter> params = model.namedParameters();
        TreeSet<String> missing = new TreeSet<>(params.keySet());
        List<String> unexpected = new ArrayList<>();
        List<String> misShaped = new ArrayList<>();
        for (var e : map.entrySet()) {
            Parameter p = params.get(e.getValue());
            if (p == null) {
                unexpected.add(e.getKey());
                continue;
            }
            missing.remove(e.getValue());
            int[] shape = ck.shape(e.getKey());
            int[] expected = p.shape();
            int[] want = transposed.test(e.getValue()) ? new int[] {expected[1], expected[0]} : expected;
            if (!Arrays.equals(shape, want)) {
                misShaped.add(e.getKey() + " has shape " + Arrays.toString(shape) + ", expected " + Arrays.toString(want));
            }
        }
        if (!missing.isEmpty() || !unexpected.isEmpty() || !misShaped.isEmpty()) {
            StringBuilder sb = new StringBuilder("checkpoint " + ck.dir() + " does not fit the "
                    + model.getClass().getSimpleName() + " its config.json describes:");
            if (!missing.isEmpty()) {
                sb.append("\n  missing: ").append(missing);
            }
            if (!unexpected.isEmpty()) {
                sb.append("\n  unexpected: ").append(unexpected);
            }
            if (!misShaped.isEmpty()) {
                sb.append("\n  wrong shape: ").append(misShaped);
            }
            throw new IOException(sb.toString());
        }
        try (var s = Autograd.noGrad()) {
            for (var e : map.entrySet()) {
                Parameter p = params.get(e.getValue());
                Tensor t = ck.tensor(e.getKey());
                if (transposed.test(e.getValue())) {
                    t = t.t();                                      // GPT-2's Conv1D stores [in, out]
                }
                p.copy_(t.to(p.dtype()));
            }
        }
    }

    /** The safetensors file(s) of a model directory, opened lazily. */
    static final class Checkpoint implements AutoCloseable {
        private final Path dir;
        private final Map<String, SafeTensorsFile> files = new LinkedHashMap<>();
        private final Map<String, SafeTensorsFile> byName = new LinkedHashMap<>();

        private Checkpoint(Path dir) {
            this.dir = dir;
        }

        static Checkpoint open(Path dir) throws IOException {
            Checkpoint ck = new Checkpoint(dir);
            try {
                Path single = dir.resolve("model.safetensors");
                Path index = dir.resolve("model.safetensors.index.json");
                if (Files.isRegularFile(single)) {
                    SafeTensorsFile f = SafeTensors.open(single);
                    ck.files.put("model.safetensors", f);
                    for (String n : f.names()) {
                        ck.byName.put(n, f);
                    }
                } else if (Files.isRegularFile(index)) {
                    ck.openShards(index);
                } else {
                    throw new IOException(dir + " has neither model.safetensors nor model.safetensors.index.json");
                }
            } catch (IOException | RuntimeException e) {
                ck.close();
                throw e;
            }
            return ck;
        }

        private void openShards(Path index) throws IOException {
            Object root;
            try {
                root = Json.parse(index, 64 << 20);
            } catch (RuntimeException e) {
                throw new IOException(index + ": " + e.getMessage(), e);
            }
            if (!(root instanceof Map<?, ?> m) || !(m.get("weight_map") instanceof Map<?, ?> wm)) {
                throw new IOException(index + ": expected {\"weight_map\": {tensor name: shard file}}");
            }
            for (var e : wm.entrySet()) {
                if (!(e.getValue() instanceof String shard) || !shard.matches("[A-Za-z0-9._-]+") || shard.startsWith(".")) {
                    throw new IOException(index + ": shard name " + e.getValue() + " for tensor " + e.getKey()
                            + " must be a plain file name in the model directory");
                }
                SafeTensorsFile f = files.get(shard);
                if (f == null) {
                    Path p = dir.resolve(shard);
                    if (!Files.isRegularFile(p)) {
                        throw new IOException(index + ": shard " + shard + " listed for " + e.getKey() + " does not exist");
                    }
                    f = SafeTensors.open(p);
                    files.put(shard, f);
                }
                String name = (String) e.getKey();
                if (!f.contains(name)) {
                    throw new IOException(index + ": tensor " + name + " is listed in " + shard + " but that file lacks it");
                }
                byName.put(name, f);
            }
        }

        Path dir() {
            return dir;
        }

        List<String> names() {
            return new ArrayList<>(byName.keySet());
        }

        int[] shape(String name) throws IOException {
            return byName.get(name).shape(name);
        }

        Tensor tensor(String name) throws IOException {
            return byName.get(name).tensor(name);
        }

        @Override
        public void close() {
            for (SafeTensorsFile f : files.values()) {
                f.close();
            }
        }
    }

    /** Typed, range-checked access to config.json values. */
    private record Config(Map<String, Object> c, Path where) {
        int intValue(String key) throws IOException {
            if (!c.containsKey(key)) {
                throw new IOException(where + ": missing \"" + key + "\"");
            }
            return intValue(key, 0);
        }

        int intValue(String key, int fallback) throws IOException {
            Object v = c.get(key);
            if (v == null) {
                return fallback;
            }
            if (!(v instanceof Long l) || l <= 0 || l > 100_000_000) {
                throw new IOException(where + ": \"" + key + "\" must be a positive integer below 1e8, got " + v);
            }
            return (int) (long) l;
        }

        double number(String key, double fallback) throws IOException {
            Object v = c.get(key);
            if (v == null) {
                return fallback;
            }
            if (!(v instanceof Number n) || !(n.doubleValue() > 0) || Double.isInfinite(n.doubleValue())) {
                throw new IOException(where + ": \"" + key + "\" must be a positive number, got " + v);
            }
            return n.doubleValue();
        }

        String string(String key, String fallback) throws IOException {
            Object v = c.get(key);
            if (v == null) {
                return fallback;
            }
            if (!(v instanceof String s)) {
                throw new IOException(where + ": \"" + key + "\" must be a string, got " + v);
            }
            return s;
        }

        boolean bool(String key, boolean fallback) throws IOException {
            Object v = c.get(key);
            if (v == null) {
                return fallback;
            }
            if (!(v instanceof Boolean b)) {
                throw new IOException(where + ": \"" + key + "\" must be true or false, got " + v);
            }
            return b;
        }
    }
}
