#!/usr/bin/env bash
# run-gpu-compare.sh: qkv's CUDA backend and PyTorch on the same GPU in one run (issue 5 §4):
# GEMM TFLOPS (FP32, TF32, BF16) against torch.matmul; causal attention forward and
# forward+backward against torch's scaled_dot_product_attention (default backend and cuDNN);
# GPT-2 small (124M) training tokens/s against PyTorch eager.
#
# Usage: run-gpu-compare.sh [--workloads gemm,attention,gpt2-train] [--quick] [--gpt-batch N]
#                           [--python PYTHON] [--no-build] [-- JVM_OPTIONS...]
#
#   --workloads LIST  comma-separated, default all three
#   --quick           fewer sizes and repetitions: for trying the runner, not for reporting
#   --gpt-batch N     sequences of 1024 tokens per GPT-2 training step (default 8)
#   --python PYTHON   the Python that has PyTorch with CUDA (default: python3 on the PATH)
#   --no-build        (repository only) use bench/target/benchmarks.jar as it is
#   -- JVM_OPTIONS    passed to java, e.g. -- -Dqkv.cuda.cublasPath=/path/to/nvidia/cu13/lib
#   -h, --help        this text
#
# Runs from the repository (builds core, cuda and bench with Maven; results in bench/results/) or
# from the GPU bundle made by cuda/scripts/make-gpu-bundle.sh (bundled JDK and jars; results in
# the bundle's results/). Writes gpu-<timestamp>.csv (workload,shape,threads,system,metric,value;
# threads is "gpu") and gpu-<timestamp>.md (the table, the machine, and every row that was not
# measured with its reason). Without a GPU (or without PyTorch) it still runs end to end: each
# side prints why each of its rows is skipped, and the table says so. See docs/BENCH.md.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; }

workloads="gemm,attention,gpt2-train"
quick=()
gpt_batch=8
python="${PYTHON:-python3}"
build=1
jvm_opts=()
while [ $# -gt 0 ]; do
  case "$1" in
    --workloads) workloads="$2"; shift 2 ;;
    --workloads=*) workloads="${1#*=}"; shift ;;
    --quick) quick=(--quick); shift ;;
    --gpt-batch) gpt_batch="$2"; shift 2 ;;
    --gpt-batch=*) gpt_batch="${1#*=}"; shift ;;
    --python) python="$2"; shift 2 ;;
    --python=*) python="${1#*=}"; shift ;;
    --no-build) build=0; shift ;;
    --) shift; jvm_opts=("$@"); break ;;
    -h|--help) usage; exit 0 ;;
    *) echo "run-gpu-compare.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
if ! [[ "$workloads" =~ ^(gemm|attention|gpt2-train)(,(gemm|attention|gpt2-train))*$ ]]; then
  echo "run-gpu-compare.sh: --workloads wants a list of gemm, attention, gpt2-train; got '$workloads'" >&2; exit 2
fi
if ! [[ "$gpt_batch" =~ ^[1-9][0-9]*$ ]]; then
  echo "run-gpu-compare.sh: --gpt-batch wants a positive integer, got '$gpt_batch'" >&2; exit 2
fi
command -v "$python" >/dev/null || { echo "run-gpu-compare.sh: no '$python' (pass --python)" >&2; exit 2; }

# ------------------------------------------------------------------------------ where we run
if [ -x "$here/jdk/bin/java" ] && [ -d "$here/lib" ]; then          # the GPU bundle
  java="$here/jdk/bin/java"
  cp="$(ls "$here"/lib/*.jar | grep -v junit-platform-console | tr '\n' ':')"
  scripts="$here"
  results="$here/results"
  work="$here/results/work"
  commit="$(cat "$here/COMMIT" 2>/dev/null || echo unknown)"
else                                                                 # the repository
  root="$(dirname "$here")"
  cd "$root"
  source "$root/bin/select-jdk.sh"
  java="$JAVA_HOME/bin/java"
  if [ $build -eq 1 ]; then
    echo "== building core, cuda and bench ($("$java" -version 2>&1 | head -1))"
    ./mvnw -B -q -pl core,cuda,bench -am package -DskipTests
  fi
  cp="$root/bench/target/benchmarks.jar"
  [ -f "$cp" ] || { echo "run-gpu-compare.sh: $cp is missing (run without --no-build)" >&2; exit 1; }
  scripts="$here"
  results="$root/bench/results"
  work="$root/bench/target"
  commit="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- core cuda bench 2>/dev/null || echo ' (with uncommitted changes)')"
fi
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
work="$work/gpu-compare-$stamp"
mkdir -p "$work" "$results"
out="$results/gpu-$stamp"

# ------------------------------------------------------------------------------ machine facts
{
  echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "commit: $commit"
  if command -v nvidia-smi >/dev/null; then
    echo "gpu: $(nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm --format=csv,noheader 2>&1 | head -1)"
  else
    echo "gpu: nvidia-smi not found"
  fi
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $(nproc) cores"
  echo "jdk: $("$java" -version 2>&1 | head -1)"
  "$python" "$scripts/gpu_peers.py" --info 2>&1 | sed 's/=/: /'
  echo "python: $("$python" --version 2>&1)"
  echo "mode: $([ ${#quick[@]} -gt 0 ] && echo 'quick (few sizes and repetitions)' || echo full); workloads: $workloads; GPT-2 batch: $gpt_batch"
} > "$work/info.txt"
cat "$work/info.txt"

# ------------------------------------------------------------------------------ qkv, then torch
# One after the other, never at the same time: each has the GPU to itself.
echo "== qkv (dev.qkv.bench.gpu.GpuCompare)"
set +e
# -XX:+ExplicitGCInvokesConcurrent: the collections qkv asks for when device memory fills with dead
# tensors become a young pause plus concurrent marking (about 1 ms each on the H100 machine) instead
# of a full collection (about 13 ms); see docs/CUDA.md, "Memory". What we advise users to run with.
"$java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xmx16g -XX:+ExplicitGCInvokesConcurrent \
    "${jvm_opts[@]}" \
    -cp "$cp" dev.qkv.bench.gpu.GpuCompare --workloads "$workloads" --gpt-batch "$gpt_batch" "${quick[@]}" \
    > "$work/qkv.csv" 2> >(tee "$work/qkv.log" >&2)
qkv_rc=$?
echo "== torch (bench/gpu_peers.py)"
"$python" "$scripts/gpu_peers.py" --workloads "$workloads" --gpt-batch "$gpt_batch" "${quick[@]}" \
    > "$work/torch.csv" 2> >(tee "$work/torch.log" >&2)
torch_rc=$?
set -e
sleep 1                                                   # let the tee processes finish writing
[ $qkv_rc -eq 0 ] || echo "qkv's runner exited with status $qkv_rc (see $work/qkv.log)" | tee -a "$work/qkv.log" >&2
[ $torch_rc -eq 0 ] || echo "the torch runner exited with status $torch_rc (see $work/torch.log)" | tee -a "$work/torch.log" >&2

cat "$work/qkv.csv" "$work/torch.csv" > "$out.csv"
echo
"$python" "$scripts/gpu_report.py" --csv "$out.csv" --logs "$work/qkv.log" "$work/torch.log" --info "$work/info.txt" \
    --out "$out"
echo
echo "wrote $out.csv and $out.md (raw logs in $work)"
[ $qkv_rc -eq 0 ] && [ $torch_rc -eq 0 ]
