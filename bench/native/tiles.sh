#!/usr/bin/env bash
# Times register-tile candidates per instruction set (tiles.cc): bash bench/native/tiles.sh
# The chosen tiles are the defaults in native/src/isa_*.cc.
set -euo pipefail
cd "$(dirname "$0")"
out=$(mktemp -d)
run() { # isa flags W MR NV
  g++ -O3 -std=gnu++17 -ffp-contract=fast -fno-math-errno -Wno-aggressive-loop-optimizations $2 -DCHARNN_NS=$1 -DCHARNN_ISA_NAME="\"$1\"" -DCHARNN_OPS=$1Ops \
    -DCHARNN_W=$3 -DCHARNN_MR=$4 -DCHARNN_NV=$5 -DCHARNN_KC=256 tiles.cc -o "$out/t" && "$out/t"
}
AVX512="-mavx512f -mavx512dq -mavx512bw -mavx512vl -mavx2 -mfma -mprefer-vector-width=512"
for t in "6 4" "8 3" "12 2" "14 2" "16 1"; do run avx512 "$AVX512" 16 $t; done
for t in "4 3" "6 2" "8 1" "12 1"; do run avx2 "-mavx2 -mfma" 8 $t; done
for t in "4 2" "6 2" "4 3" "8 1"; do run portable "" 4 $t; done
rm -rf "$out"
