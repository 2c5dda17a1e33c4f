#!/usr/bin/env bash
# run-compare.sh: measures qkv and its peers (OpenBLAS through NumPy, PyTorch CPU) on the same
# workloads in one run, and prints one table with speed ratios.
#
# Usage: bench/run-compare.sh [--filter REGEX] [--threads 1,2] [--rounds N] [--quick] [--no-build] [--no-install]
#
#   --filter REGEX   run only the workloads whose name matches (grep -E), e.g. 'sgemm|matmul'.
#                    Workloads: sgemm matmul bmm softmax layernorm crossentropy attention
#                               attnmem gpt-train gen
#   --threads LIST   thread counts, comma-separated (default 1,2)
#   --rounds N       measure every system N times, interleaved in time (qkv, peers, qkv, peers...),
#                    and compare the medians (default 1). This machine is a shared VM whose speed
#                    drifts by 20-30 % over minutes; rounds keep that drift out of the ratios.
#   --quick          fewer and shorter repetitions: for trying the runner, not for reporting
#   --no-build       use bench/target/benchmarks.jar as it is (default: rebuild core and bench)
#   --no-install     do not apt-get install missing packages (fail instead)
#   -h, --help       this text
#
# Writes bench/results/<timestamp>.csv (workload,shape,threads,system,metric,value),
# bench/results/<timestamp>.md (the table, machine facts, targets) and
# bench/results/<timestamp>.svg (sgemm GFLOPS against N); raw outputs stay in
# bench/target/compare-<timestamp>/. Running it again never overwrites an earlier run.
#
# qkv runs through the JMH jar (one forked JVM per parameter set; the median of the measured
# iterations); the peers through bench/peers.py (the median of repetitions after warmup). See
# docs/BENCH.md for the method and for how each peer is configured.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
cd "$root"

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; }

filter='.*'
threads='1,2'
quick=0
rounds=1
build=1
install=1
while [ $# -gt 0 ]; do
  case "$1" in
    --filter) filter="$2"; shift 2 ;;
    --filter=*) filter="${1#*=}"; shift ;;
    --threads) threads="$2"; shift 2 ;;
    --threads=*) threads="${1#*=}"; shift ;;
    --rounds) rounds="$2"; shift 2 ;;
    --rounds=*) rounds="${1#*=}"; shift ;;
    --quick) quick=1; shift ;;
    --no-build) build=0; shift ;;
    --no-install) install=0; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "run-compare.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
if ! [[ "$rounds" =~ ^[1-9][0-9]*$ ]]; then
  echo "run-compare.sh: --rounds wants a positive number, got '$rounds'" >&2; exit 2
fi
if ! [[ "$threads" =~ ^[1-9][0-9]*(,[1-9][0-9]*)*$ ]]; then
  echo "run-compare.sh: --threads wants a list like 1,2, got '$threads'" >&2; exit 2
fi

# ------------------------------------------------------------------------------ workloads
# name | JMH benchmark regex | iteration settings | extra JMH options | peers
# A name may have several entries (different settings for different sizes); its peers are
# listed once. Settings: timed = time-per-call iterations; long = the same, fewer (calls of
# several seconds); train, gen = counted single-shot iterations.
workloads=(
  "sgemm|SgemmBench\.square(Reference)?\$|timed||numpy torch"
  "matmul|SgemmBench\.transformer\$|timed||numpy torch"
  "bmm|SgemmBench\.batched\$|timed||numpy torch"
  "softmax|RowOpsBench\.softmax|timed|-p kernels=vector|torch"
  "layernorm|RowOpsBench\.layerNorm|timed|-p kernels=vector|torch"
  "crossentropy|RowOpsBench\.crossEntropy|timed|-p kernels=vector|torch"
  "attention|AttentionBench\.|timed|-p t=256|torch"
  "attention|AttentionBench\.|long|-p t=1024|"
  "attnmem||||"
  "gpt-train|GptTrainBench\.|train||torch"
  "gen|GenerationBench\.|gen||torch"
)
selected=()
for w in "${workloads[@]}"; do
  name="${w%%|*}"
  if echo "$name" | grep -Eq -- "$filter"; then selected+=("$w"); fi
done
if [ ${#selected[@]} -eq 0 ]; then
  echo "run-compare.sh: --filter '$filter' matches no workload (see --help)" >&2; exit 2
fi

# JMH iteration settings (see docs/BENCH.md, "Method").
if [ $quick -eq 1 ]; then
  jmh_timed=(-f 1 -wi 1 -i 3 -w 500ms -r 500ms)
  jmh_long=(-f 1 -wi 1 -i 1 -w 500ms -r 500ms)
  jmh_train=(-f 1 -wi 2 -i 3)
  jmh_gen=(-f 1 -wi 1 -i 1)
  peer_quick=(--quick)
else
  jmh_timed=(-f 1 -wi 3 -i 5 -w 1s -r 1s)
  jmh_long=(-f 1 -wi 2 -i 3 -w 1s -r 1s)
  jmh_train=(-f 1 -wi 6 -i 5)
  jmh_gen=(-f 1 -wi 1 -i 3)
  peer_quick=()
fi

# ------------------------------------------------------------------------------ setup
need_pkgs=()
[ -e /usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0 ] || need_pkgs+=(libopenblas0-pthread)
/usr/bin/python3 -c 'import numpy' 2>/dev/null || need_pkgs+=(python3-numpy)
/usr/bin/python3 -c 'import torch' 2>/dev/null || need_pkgs+=(python3-torch)
/usr/bin/python3 -c 'import threadpoolctl' 2>/dev/null || need_pkgs+=(python3-threadpoolctl)
command -v gcc >/dev/null || need_pkgs+=(gcc)
if [ ${#need_pkgs[@]} -gt 0 ]; then
  if [ $install -eq 0 ]; then
    echo "run-compare.sh: missing packages: ${need_pkgs[*]} (run without --no-install, as root)" >&2; exit 1
  fi
  echo "== installing ${need_pkgs[*]}"
  sudo_cmd=(); [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -q
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q "${need_pkgs[@]}"
fi

source "$root/bin/select-jdk.sh"
jar="$root/bench/target/benchmarks.jar"
if [ $build -eq 1 ]; then
  echo "== building core and bench ($(java -version 2>&1 | head -1))"
  ./mvnw -B -q install -DskipTests -pl core,bench -am
fi
[ -f "$jar" ] || { echo "run-compare.sh: $jar is missing (run without --no-build)" >&2; exit 1; }

stamp="$(date -u +%Y%m%dT%H%M%SZ)"
work="$root/bench/target/compare-$stamp"
mkdir -p "$work" "$root/bench/results"
out="$root/bench/results/$stamp"
: > "$work/extra.csv"
: > "$work/peers.csv"
java_run=(java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED)
# OpenBLAS at its best: these two pin an older, safe kernel on some processors; unset them for
# the peers' runs only (the environment doc says so), and report which kernel then runs.
peer_env=(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE)

# ------------------------------------------------------------------------------ machine facts
{
  echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- core bench 2>/dev/null || echo ' (with uncommitted changes)')"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), family $(grep -m1 'cpu family' /proc/cpuinfo | cut -d: -f2 | xargs) model $(grep -m1 '^model' /proc/cpuinfo | cut -d: -f2 | xargs); $(nproc) cores; $(grep -m1 'cpu MHz' /proc/cpuinfo | cut -d: -f2 | xargs) MHz as /proc/cpuinfo reports it"
  echo "flags: $(grep -m1 '^flags' /proc/cpuinfo | grep -o -w -E 'avx2|fma|avx512f' | sort -u | xargs)"
  echo "memory: $(free -g | awk '/Mem:/ {print $2}') GiB"
  echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg) (2 cores: above ~2 means other work competes for them)"
  echo "jdk: $(java -version 2>&1 | head -1)"
  echo "environment had OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-<unset>} OPENBLAS_L2_SIZE=${OPENBLAS_L2_SIZE:-<unset>}; both unset for the peers"
  "${peer_env[@]}" OPENBLAS_NUM_THREADS=1 /usr/bin/python3 "$here/peers.py" --system info | sed 's/=/: /'
  echo "python: $(/usr/bin/python3 --version 2>&1)"
  echo "mode: $([ $quick -eq 1 ] && echo 'quick (few repetitions)' || echo full); threads: $threads; rounds: $rounds; filter: $filter"
} > "$work/info.txt"
cat "$work/info.txt"

# The machine's float32 FMA peak: a C loop of independent 256-bit FMAs (bench/fma_peak.c).
echo "== FMA peak"
gcc -O3 -march=native -pthread -o "$work/fma_peak" "$here/fma_peak.c"
for t in $(echo "1,$threads" | tr ',' '\n' | sort -nu); do
  line="$("$work/fma_peak" "$t")"                      # threads,gflops_total,gflops_per_core
  echo "fma-peak,AVX2 FMA 12 accumulators,$t,c-fma,gflops,$(echo "$line" | cut -d, -f2)" >> "$work/extra.csv"
  echo "  $t thread(s): $(echo "$line" | cut -d, -f2) GFLOPS ($(echo "$line" | cut -d, -f3) per core)"
done

# ------------------------------------------------------------------------------ rounds
# Each round measures qkv (JMH), then the peers; with several rounds they alternate in time.
jmh_json=()
join() { local IFS=,; echo "$*"; }
for round in $(seq 1 "$rounds"); do
  # ---------------------------------------------------------------------------- qkv (JMH)
  peer_workloads=()
  numpy_workloads=()
  entry=0
  for w in "${selected[@]}"; do
    IFS='|' read -r name regex kind extra peers <<< "$w"
    entry=$((entry + 1))
    for p in $peers; do
      [ "$p" = torch ] && peer_workloads+=("$name")
      [ "$p" = numpy ] && numpy_workloads+=("$name")
    done
    if [ "$name" = attnmem ]; then
      [ "$round" -eq 1 ] || continue                       # memory does not drift: measured once
      most="$(echo "$threads" | tr ',' '\n' | sort -n | tail -1)"   # the most threads: only per-thread scratch depends on it
      echo "== qkv attention memory (B1 H8 T4096 D64, $most threads)"
      "${java_run[@]}" -Xmx12g -cp "$jar" dev.qkv.bench.AttentionMemory 4096 1 8 64 "$most" | tee -a "$work/extra.csv"
      continue
    fi
    case "$kind" in
      timed) opts=("${jmh_timed[@]}") ;;
      long) opts=("${jmh_long[@]}") ;;
      train) opts=("${jmh_train[@]}") ;;
      gen) opts=("${jmh_gen[@]}") ;;
    esac
    [ -n "$extra" ] && read -r -a more <<< "$extra" && opts+=("${more[@]}")
    log="$work/jmh-r$round-$entry-$name.log"
    echo "== [round $round/$rounds] qkv $name (JMH ${opts[*]} -p threads=$threads)"
    "${java_run[@]}" -jar "$jar" "$regex" "${opts[@]}" -p threads="$threads" \
        -rf json -rff "$work/jmh-r$round-$entry-$name.json" > "$log" 2>&1 \
      || { echo "JMH failed for $name; see $log" >&2; tail -20 "$log" >&2; exit 1; }
    grep -E '^(Benchmark|[A-Za-z]+Bench\.)' "$log" | sed 's/^/  /'
    jmh_json+=("$work/jmh-r$round-$entry-$name.json")
  done
  # ---------------------------------------------------------------------------- peers
  for t in $(echo "$threads" | tr ',' '\n' | sort -nu); do
    if [ ${#numpy_workloads[@]} -gt 0 ]; then
      echo "== [round $round/$rounds] numpy (OpenBLAS pthreads, OPENBLAS_NUM_THREADS=$t): $(join "${numpy_workloads[@]}")"
      "${peer_env[@]}" OPENBLAS_NUM_THREADS="$t" /usr/bin/python3 "$here/peers.py" --system numpy --threads "$t" \
          --workloads "$(join "${numpy_workloads[@]}")" "${peer_quick[@]}" 2>>"$work/peers.log" | tee -a "$work/peers.csv"
    fi
    if [ ${#peer_workloads[@]} -gt 0 ]; then
      # Debian's torch sends float32 GEMM to OpenBLAS, whose pthread pool is separate from torch's
      # OpenMP pool: try both ways of giving it t threads, and let the table keep the better.
      configs=("1 $t")
      [ "$t" -gt 1 ] && configs+=("$t 1")
      for c in "${configs[@]}"; do
        read -r intra blas <<< "$c"
        label="torch[intra=$intra;openblas=$blas]"
        echo "== [round $round/$rounds] $label: $(join "${peer_workloads[@]}")"
        "${peer_env[@]}" OPENBLAS_NUM_THREADS="$blas" OMP_NUM_THREADS="$intra" /usr/bin/python3 "$here/peers.py" \
            --system torch --threads "$t" --torch-threads "$intra" --label "$label" \
            --workloads "$(join "${peer_workloads[@]}")" "${peer_quick[@]}" 2>>"$work/peers.log" | tee -a "$work/peers.csv"
      done
    fi
  done
done

# One JSON array out of the per-workload files.
/usr/bin/python3 - "$work/jmh.json" "${jmh_json[@]}" <<'EOF'
import json, sys, os
rows = []
for p in sys.argv[2:]:
    if os.path.exists(p) and os.path.getsize(p) > 0:
        rows += json.load(open(p))
json.dump(rows, open(sys.argv[1], "w"))
EOF

echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$work/info.txt"

# ------------------------------------------------------------------------------ report
echo
/usr/bin/python3 "$here/report.py" --jmh "$work/jmh.json" --peers "$work/peers.csv" --extra "$work/extra.csv" \
    --info "$work/info.txt" --out "$out"
