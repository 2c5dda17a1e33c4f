package dev.qkv.backend.cuda;

import java.io.File;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.SymbolLookup;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

/**
 * Chooses how qkv reaches cuBLAS, and logs the choice once per JVM:
 * <ol>
 *   <li>JCublas, when {@code libcublas.so.12} loads through the system's library search (the way
 *   JCublas's own native library will look for it): CUDA 12 installs, CUDA 12 pip wheels on
 *   LD_LIBRARY_PATH.</li>
 *   <li>Otherwise the java.lang.foreign binding to {@code libcublas.so.13}, looked for in the
 *   search directories (below), then through the system's search.</li>
 *   <li>Otherwise the foreign binding to a {@code libcublas.so.12} found in the search
 *   directories (e.g. a CUDA 12 pip wheel that is not on LD_LIBRARY_PATH).</li>
 *   <li>Otherwise no cuBLAS: matrix products run on qkv's plain gemm kernel, much slower; a
 *   warning says so.</li>
 * </ol>
 * Search directories: the entries of {@code -Dqkv.cuda.cublasPath} (separated by the path
 * separator) if set, else LD_LIBRARY_PATH, {@code /usr/local/cuda*}/{lib64, lib,
 * targets/x86_64-linux/lib}, and the {@code nvidia/cu13/lib} and {@code nvidia/cublas/lib}
 * folders of Python site-packages (where PyTorch's cu130 / cu12x wheels put cuBLAS) under
 * $VIRTUAL_ENV, $CONDA_PREFIX, ~/.local, /usr/local, /usr and /opt/conda.
 * {@code -Dqkv.cuda.blas=jcublas|ffm|none} forces a binding.
 */
final class BlasSelector {
    private static final System.Logger LOG = System.getLogger("dev.qkv.backend.cuda");
    private static final AtomicBoolean LOGGED = new AtomicBoolean();

    static final String CUBLAS_12 = "libcublas.so.12";
    static final String CUBLAS_13 = "libcublas.so.13";

    private BlasSelector() {
    }

    /** What the selector can learn about the machine; faked in tests. */
    interface Probe {
        /** Whether dlopen of this bare name succeeds (LD_LIBRARY_PATH, the ld.so cache, ...). */
        boolean loadsByName(String soname);

        boolean isFile(Path p);

        /** The subdirectories of a directory whose names start with a prefix; empty if none. */
        List<Path> subdirectories(Path dir, String prefix);

        String env(String name);

        String property(String name);
    }

    enum Kind { JCUBLAS, FFM, NONE }

    /** The decision: which binding, which library (path or name), and why, for the log. */
    record Choice(Kind kind, String library, String reason) {
    }

    static Choice choose(Probe probe) {
        String forced = probe.property("qkv.cuda.blas");
        List<Path> dirs = searchDirectories(probe);
        if ("none".equals(forced)) {
            return new Choice(Kind.NONE, null, "-Dqkv.cuda.blas=none");
        }
        boolean jcublasOk = probe.loadsByName(CUBLAS_12);
        if ("jcublas".equals(forced) || (forced == null || forced.equals("auto")) && jcublasOk) {
            return new Choice(Kind.JCUBLAS, CUBLAS_12, jcublasOk ? CUBLAS_12 + " loads from the system library path"
                    : "forced by -Dqkv.cuda.blas=jcublas, although " + CUBLAS_12 + " did not load");
        }
        Path found13 = find(probe, dirs, CUBLAS_13);
        if (found13 != null) {
            return new Choice(Kind.FFM, found13.toString(), CUBLAS_12 + " is not on the library path; found " + found13);
        }
        if (probe.loadsByName(CUBLAS_13)) {
            return new Choice(Kind.FFM, CUBLAS_13, CUBLAS_13 + " loads from the system library path");
        }
        Path found12 = find(probe, dirs, CUBLAS_12);
        if (found12 != null) {
            return new Choice(Kind.FFM, found12.toString(), "found " + found12 + " outside the system library path");
        }
        return new Choice(Kind.NONE, null, "neither " + CUBLAS_12 + " nor " + CUBLAS_13 + " was found (searched the "
                + "system library path and " + dirs + "); set -Dqkv.cuda.cublasPath to the folder that holds it");
    }

    private static Path find(Probe probe, List<Path> dirs, String file) {
        for (Path d : dirs) {
            Path p = d.resolve(file);
            if (probe.isFile(p)) {
                return p;
            }
        }
        return null;
    }

    /** Where to look for libcublas.so.N, in order. */
    static List<Path> searchDirectories(Probe probe) {
        LinkedHashSet<Path> dirs = new LinkedHashSet<>();
        String configured = probe.property("qkv.cuda.cublasPath");
        if (configured != null && !configured.isBlank()) {
            for (String s : configured.split(File.pathSeparator)) {
                if (!s.isBlank()) {
                    dirs.add(Path.of(s.trim()));
                }
            }
            return List.copyOf(dirs);
        }
        String ld = probe.env("LD_LIBRARY_PATH");
        if (ld != null) {
            for (String s : ld.split(":")) {
                if (!s.isBlank()) {
                    dirs.add(Path.of(s));
                }
            }
        }
        for (Path cuda : probe.subdirectories(Path.of("/usr/local"), "cuda")) {
            dirs.add(cuda.resolve("lib64"));
            dirs.add(cuda.resolve("lib"));
            dirs.add(cuda.resolve("targets/x86_64-linux/lib"));
        }
        List<Path> pythonBases = new ArrayList<>();
        for (String env : new String[] {"VIRTUAL_ENV", "CONDA_PREFIX"}) {
            String v = probe.env(env);
            if (v != null && !v.isBlank()) {
                pythonBases.add(Path.of(v));
            }
        }
        String home = probe.property("user.home");
        if (home != null) {
            pythonBases.add(Path.of(home, ".local"));
        }
        pythonBases.add(Path.of("/usr/local"));
        pythonBases.add(Path.of("/usr"));
        pythonBases.add(Path.of("/opt/conda"));
        for (Path base : pythonBases) {
            for (String lib : new String[] {"lib", "lib64"}) {
                for (Path py : probe.subdirectories(base.resolve(lib), "python3")) {
                    for (String pk : new String[] {"site-packages", "dist-packages"}) {
                        Path nvidia = py.resolve(pk).resolve("nvidia");
                        dirs.add(nvidia.resolve("cu13/lib"));
                        dirs.add(nvidia.resolve("cublas/lib"));
                    }
                }
            }
        }
        return List.copyOf(dirs);
    }

    /** The machine as it is. */
    static final Probe SYSTEM = new Probe() {
        @Override
        public boolean loadsByName(String soname) {
            try (Arena arena = Arena.ofConfined()) {
                SymbolLookup.libraryLookup(soname, arena);
                return true;
            } catch (IllegalArgumentException | UnsatisfiedLinkError e) {
                return false;
            }
        }

        @Override
        public boolean isFile(Path p) {
            return Files.isRegularFile(p);
        }

        @Override
        public List<Path> subdirectories(Path dir, String prefix) {
            if (!Files.isDirectory(dir)) {
                return List.of();
            }
            try (Stream<Path> s = Files.list(dir)) {
                return s.filter(Files::isDirectory).filter(p -> p.getFileName().toString().startsWith(prefix)).sorted()
                        .toList();
            } catch (IOException e) {
                return List.of();
            }
        }

        @Override
        public String env(String name) {
            return System.getenv(name);
        }

        @Override
        public String property(String name) {
            return System.getProperty(name);
        }
    };

    /** Creates the chosen binding for a stream; null for {@link Kind#NONE}. Logs the choice once. */
    static Blas create(Choice choice, long streamHandle, Object streamObject) {
        Blas blas = switch (choice.kind()) {
            case JCUBLAS -> new JCublasBlas(streamObject);
            case FFM -> new FfmCublasBlas(choice.library(), streamHandle);
            case NONE -> null;
        };
        if (LOGGED.compareAndSet(false, true)) {
            if (blas == null) {
                LOG.log(System.Logger.Level.WARNING, "qkv cuda: no cuBLAS (" + choice.reason()
                        + "); matrix products use qkv's plain gemm kernel, which is much slower");
            } else {
                LOG.log(System.Logger.Level.INFO, "qkv cuda: " + blas.describe() + " (" + choice.reason() + ")");
            }
        }
        return blas;
    }
}
