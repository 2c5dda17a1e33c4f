package dev.qkv.backend.cuda;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** How cuBLAS is found, on fake machines. */
class BlasSelectorTest {

    /** A machine described by the libraries dlopen finds, the files present, env and properties. */
    static final class FakeMachine implements BlasSelector.Probe {
        final Set<String> loadable = new HashSet<>();
        final Set<Path> files = new HashSet<>();
        final Map<String, String> env = new HashMap<>();
        final Map<String, String> props = new HashMap<>(Map.of("user.home", "/home/u"));

        FakeMachine file(String path) {
            files.add(Path.of(path));
            return this;
        }

        public boolean loadsByName(String soname) {
            return loadable.contains(soname);
        }

        public boolean isFile(Path p) {
            return files.contains(p);
        }

        public List<Path> subdirectories(Path dir, String prefix) {
            Set<Path> out = new HashSet<>();
            for (Path f : files) {
                for (Path p = f; p.getParent() != null; p = p.getParent()) {
                    if (p.getParent().equals(dir) && p.getFileName().toString().startsWith(prefix) && !p.equals(f)) {
                        out.add(p);
                    }
                }
            }
            List<Path> sorted = new ArrayList<>(out);
            sorted.sort(null);
            return sorted;
        }

        public String env(String name) {
            return env.get(name);
        }

        public String property(String name) {
            return props.get(name);
        }
    }

    @Test
    void jcublasWhenLibcublas12IsOnTheLibraryPath() {
        FakeMachine m = new FakeMachine();
        m.loadable.add("libcublas.so.12");
        m.file("/usr/local/cuda-13.0/lib64/libcublas.so.13");
        BlasSelector.Choice c = BlasSelector.choose(m);
        assertEquals(BlasSelector.Kind.JCUBLAS, c.kind());
        assertTrue(c.reason().contains("libcublas.so.12 loads"), c.reason());
    }

    @Test
    void foreignBindingToTorchsCuda13WheelOnADriver580Machine() {
        // Our test GPUs: no CUDA 12, PyTorch 2.11+cu130 installed in a virtualenv.
        FakeMachine m = new FakeMachine();
        m.env.put("VIRTUAL_ENV", "/work/venv");
        m.file("/work/venv/lib/python3.12/site-packages/nvidia/cu13/lib/libcublas.so.13");
        BlasSelector.Choice c = BlasSelector.choose(m);
        assertEquals(BlasSelector.Kind.FFM, c.kind());
        assertEquals("/work/venv/lib/python3.12/site-packages/nvidia/cu13/lib/libcublas.so.13", c.library());
    }

    @Test
    void searchOrderIsLdLibraryPathThenCudaInstallsThenPython() {
        FakeMachine m = new FakeMachine();
        m.env.put("LD_LIBRARY_PATH", "/opt/a:/opt/b");
        m.file("/opt/b/libcublas.so.13");
        m.file("/usr/local/cuda-13.0/lib64/libcublas.so.13");
        m.file("/home/u/.local/lib/python3.11/site-packages/nvidia/cu13/lib/libcublas.so.13");
        assertEquals("/opt/b/libcublas.so.13", BlasSelector.choose(m).library());
        List<Path> dirs = BlasSelector.searchDirectories(m);
        assertEquals(Path.of("/opt/a"), dirs.get(0));
        assertTrue(dirs.indexOf(Path.of("/usr/local/cuda-13.0/lib64"))
                < dirs.indexOf(Path.of("/home/u/.local/lib/python3.11/site-packages/nvidia/cu13/lib")));
        m.files.remove(Path.of("/opt/b/libcublas.so.13"));
        assertEquals("/usr/local/cuda-13.0/lib64/libcublas.so.13", BlasSelector.choose(m).library());
    }

    @Test
    void theSearchPathPropertyReplacesTheDefaults() {
        FakeMachine m = new FakeMachine();
        m.file("/usr/local/cuda-13.0/lib64/libcublas.so.13");
        m.file("/custom/libcublas.so.13");
        m.props.put("qkv.cuda.cublasPath", "/nowhere" + java.io.File.pathSeparator + "/custom");
        assertEquals(List.of(Path.of("/nowhere"), Path.of("/custom")), BlasSelector.searchDirectories(m));
        assertEquals("/custom/libcublas.so.13", BlasSelector.choose(m).library());
    }

    @Test
    void libcublas13FromTheSystemSearchOrA12WheelOffThePath() {
        FakeMachine m = new FakeMachine();
        m.loadable.add("libcublas.so.13");
        assertEquals(new BlasSelector.Choice(BlasSelector.Kind.FFM, "libcublas.so.13",
                "libcublas.so.13 loads from the system library path"), BlasSelector.choose(m));
        FakeMachine w = new FakeMachine();
        w.file("/usr/lib/python3.10/dist-packages/nvidia/cublas/lib/libcublas.so.12");
        BlasSelector.Choice c = BlasSelector.choose(w);
        assertEquals(BlasSelector.Kind.FFM, c.kind());
        assertEquals("/usr/lib/python3.10/dist-packages/nvidia/cublas/lib/libcublas.so.12", c.library());
    }

    @Test
    void noCublasSaysWhereItLooked() {
        FakeMachine m = new FakeMachine();
        BlasSelector.Choice c = BlasSelector.choose(m);
        assertEquals(BlasSelector.Kind.NONE, c.kind());
        assertTrue(c.reason().contains("neither libcublas.so.12 nor libcublas.so.13"), c.reason());
        assertTrue(c.reason().contains("-Dqkv.cuda.cublasPath"), c.reason());
    }

    @Test
    void aPropertyForcesTheBinding() {
        FakeMachine m = new FakeMachine();
        m.loadable.add("libcublas.so.12");
        m.loadable.add("libcublas.so.13");
        m.props.put("qkv.cuda.blas", "ffm");
        assertEquals(BlasSelector.Kind.FFM, BlasSelector.choose(m).kind());
        m.props.put("qkv.cuda.blas", "none");
        assertEquals(BlasSelector.Kind.NONE, BlasSelector.choose(m).kind());
        m.props.put("qkv.cuda.blas", "jcublas");
        m.loadable.clear();
        assertEquals(BlasSelector.Kind.JCUBLAS, BlasSelector.choose(m).kind());
    }

    @Test
    void theRealMachineCanBeProbedWithoutLoadingAnythingNative() {
        // On any machine: the probe itself must not throw (dlopen failures are answers, not errors).
        BlasSelector.Choice c = BlasSelector.choose(BlasSelector.SYSTEM);
        System.out.println("BlasSelectorTest: on this machine cuBLAS would be reached as " + c);
    }
}
