#!/usr/bin/env bash
# Builds a self-contained folder for running qkv's CUDA tests on a GPU machine that has the
# NVIDIA driver but no JDK, no Maven and no CUDA toolkit:
#
#   jdk/     a jlink'ed JDK runtime (java.base, jdk.incubator.vector, java.logging, java.management,
#            jdk.unsupported; --compress zip-9)
#   lib/     qkv-core and qkv-cuda jars, core's test-jar (the shared backend contract suite), the
#            cuda module's test classes, JCuda and JCublas with
#            their linux-x86_64 natives, and the JUnit console launcher
#   run-gpu-tests.sh   runs the GPU tests (and prints which cuBLAS binding was chosen)
#   run-gpu-compare.sh, gpu_peers.py, gpu_report.py   the GPU benchmark against PyTorch on the
#            same machine (bench/run-gpu-compare.sh; needs a Python with PyTorch for CUDA there);
#            lib/qkv-bench-gpu.jar holds its Java side (dev.qkv.bench.gpu)
#
#   cuda/scripts/make-gpu-bundle.sh [OUTPUT_FOLDER]     (default: cuda/target/gpu-bundle)
#
# Copy the folder to the GPU machine (e.g. tar czf) and run ./run-gpu-tests.sh there. cuBLAS is
# taken from the machine: libcublas.so.12 on the library path, or libcublas.so.13 from a CUDA 13
# install or PyTorch's cu130 wheel (see docs/CUDA.md; -Dqkv.cuda.cublasPath=DIR points elsewhere).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="${1:-$root/cuda/target/gpu-bundle}"
junit_console=1.14.1

source "$root/bin/select-jdk.sh"                 # JAVA_HOME: a JDK 25 or newer

cd "$root"
./mvnw -B -q -pl core,cuda,bench -am install -DskipTests
./mvnw -B -q -pl cuda test-compile
rm -rf "$out"
mkdir -p "$out/lib"
./mvnw -B -q -pl cuda dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$out/lib"
./mvnw -B -q dependency:copy -Dartifact="org.junit.platform:junit-platform-console-standalone:$junit_console" \
    -DoutputDirectory="$out/lib"
cp cuda/target/qkv-cuda-*.jar "$out/lib/"
cp core/target/qkv-core-*-tests.jar "$out/lib/"       # the shared backend contract suite
"$JAVA_HOME/bin/jar" --create --file "$out/lib/qkv-cuda-tests.jar" -C cuda/target/test-classes .
"$JAVA_HOME/bin/jar" --create --file "$out/lib/qkv-bench-gpu.jar" -C bench/target/classes dev/qkv/bench/gpu
cp bench/run-gpu-compare.sh bench/gpu_peers.py bench/gpu_report.py "$out/"
echo "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- core cuda bench 2>/dev/null \
    || echo ' (with uncommitted changes)')" > "$out/COMMIT"

"$JAVA_HOME/bin/jlink" --add-modules java.base,jdk.incubator.vector,java.logging,java.management,jdk.unsupported \
    --compress zip-9 --no-header-files --no-man-pages --strip-debug --output "$out/jdk"

cat > "$out/run-gpu-tests.sh" <<'RUN'
#!/usr/bin/env bash
# Runs qkv's CUDA tests with the bundled runtime. Extra arguments go to the JVM before the
# launcher, e.g. ./run-gpu-tests.sh -Dqkv.cuda.cublasPath=/path/to/nvidia/cu13/lib
set -euo pipefail
cd "$(dirname "$0")"
cp="$(ls lib/*.jar | grep -v junit-platform-console | tr '\n' ':')"
exec jdk/bin/java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xss8m -Xmx8g \
    -Dqkv.cuda.poisonUninitialized=true "$@" \
    -jar lib/junit-platform-console-standalone-*.jar execute --class-path "$cp" --disable-banner \
    --details=tree \
    --select-class dev.qkv.backend.cuda.BlasSelectorTest \
    --select-class dev.qkv.backend.cuda.ProviderWithoutDeviceTest \
    --select-class dev.qkv.backend.cuda.CudaBackendContractTest \
    --select-class dev.qkv.backend.cuda.CudaBeyondContractTest \
    --select-class dev.qkv.backend.cuda.CudaOptimizerUpdateTest \
    --select-class dev.qkv.backend.cuda.CudaGptTrainingTest \
    --select-class dev.qkv.backend.cuda.CudaMemoryLeakTest
RUN
chmod +x "$out/run-gpu-tests.sh"
echo "GPU test bundle in $out ($(du -sh "$out" | cut -f1)); on the GPU machine run $out/run-gpu-tests.sh, then"
echo "$out/run-gpu-compare.sh --python /path/to/python-with-torch (see docs/BENCH.md)"
