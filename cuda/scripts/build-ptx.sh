#!/usr/bin/env bash
# Compiles the CUDA kernels (cuda/src/main/cuda/*.cu) to PTX text, which the cuda module ships
# as resources and the driver JIT-compiles at run time (no NVRTC, no nvcc on users' machines).
#
#   cuda/scripts/build-ptx.sh            regenerate the PTX resources and their MANIFEST
#   cuda/scripts/build-ptx.sh --verify   regenerate into a temporary folder, fail if the committed
#                                        PTX differs (PtxUpToDateTest runs this when nvcc is present)
#   cuda/scripts/build-ptx.sh --check    --verify, then assemble every module with ptxas for sm_80
#                                        and sm_90 and print registers / shared memory / stack
#
# PTX ISA version: nvcc 13 writes `.version 9.0`, which only drivers >= 580 (CUDA 13) can JIT.
# The kernels use nothing newer than PTX ISA 8.0 (CUDA 12.0, driver >= 525), so the `.version`
# line is lowered to $PTX_ISA; ptxas rejects any instruction the lowered version does not
# have ("Feature ... requires PTX ISA .version X"), which is what --check proves.
# Needs nvcc (and ptxas for --check) on PATH or in /usr/local/cuda/bin.
set -euo pipefail

PTX_ISA=8.0
ARCH=compute_80
FLAGS=(-ptx "-arch=$ARCH" -std=c++17)

here="$(cd "$(dirname "$0")" && pwd)"
module="$(dirname "$here")"
src="$module/src/main/cuda"
out="$module/src/main/resources/dev/qkv/backend/cuda/ptx"
export PATH="$PATH:/usr/local/cuda/bin"
command -v nvcc >/dev/null || { echo "build-ptx.sh: nvcc not found (install the CUDA toolkit)" >&2; exit 2; }

# generate DIR: writes DIR/<name>.ptx for every .cu file, and DIR/MANIFEST.
generate() {
    local dir="$1"
    mkdir -p "$dir"
    local jobs=()
    for cu in "$src"/*.cu; do
        local name; name="$(basename "$cu" .cu)"
        (
            cd "$src"   # relative paths only, so the PTX does not depend on where the clone lives
            nvcc "${FLAGS[@]}" "$name.cu" -o "$dir/$name.ptx.tmp"
            # Lower the ISA version and say so right below the compiler's header.
            awk -v isa="$PTX_ISA" '
                /^\.version / { print "// .version lowered from " $2 " to " isa " by cuda/scripts/build-ptx.sh"; print ".version " isa; next }
                { print }' "$dir/$name.ptx.tmp" > "$dir/$name.ptx"
            rm "$dir/$name.ptx.tmp"
        ) &
        jobs+=($!)
    done
    for j in "${jobs[@]}"; do wait "$j"; done
    {
        echo "# Written by cuda/scripts/build-ptx.sh; do not edit. ManifestTest checks the sources' hashes."
        echo "nvcc $(nvcc --version | grep -o 'release [0-9.]*, V[0-9.]*')"
        echo "flags ${FLAGS[*]}"
        echo "ptx-isa $PTX_ISA"
        (cd "$src" && for f in common.cuh *.cu; do echo "source $(sha256sum "$f" | cut -d' ' -f1) $f"; done)
        for cu in "$src"/*.cu; do echo "module $(basename "$cu" .cu)"; done
    } > "$dir/MANIFEST"
}

if [[ "${1:-}" == "--check" || "${1:-}" == "--verify" ]]; then
    tmp="$(mktemp -d)"
    trap 'rm -rf "$tmp"' EXIT
    generate "$tmp"
    if ! diff -r -q "$out" "$tmp" >/dev/null; then
        diff -r "$out" "$tmp" | head -40
        echo "build-ptx.sh: the committed PTX is out of date; run cuda/scripts/build-ptx.sh" >&2
        exit 1
    fi
    echo "committed PTX is up to date"
    [[ "$1" == "--verify" ]] && exit 0
    command -v ptxas >/dev/null || { echo "build-ptx.sh: ptxas not found" >&2; exit 2; }
    printf '%-36s %-6s %5s %7s %6s\n' kernel arch regs smem stack
    for sm in sm_80 sm_90; do
        for ptx in "$tmp"/*.ptx; do
            ptxas "-arch=$sm" -v "$ptx" -o /dev/null 2>&1 | awk -v sm="$sm" '
                /error/ { print; failed = 1 }
                /Compiling entry function/ { gsub(/\x27/, "", $7); name = $7 }
                /bytes stack frame/ { stack = $1 }
                /Used [0-9]+ registers/ {
                    regs = $5; smem = 0
                    if (match($0, /[0-9]+ bytes smem/)) { smem = substr($0, RSTART, RLENGTH); sub(/ bytes smem/, "", smem) }
                    printf "%-36s %-6s %5s %7s %6s\n", name, sm, regs, smem, stack
                }
                END { exit failed }'
        done
    done
    echo "all modules assemble for sm_80 and sm_90 at PTX ISA $PTX_ISA"
else
    generate "$out"
    echo "wrote $(ls "$out"/*.ptx | wc -l) PTX modules to $out"
fi
