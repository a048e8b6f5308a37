#if defined(__x86_64__)
// The avx512 kernels: kernels.inc on 512-bit vectors, a 16x16 register tile (bench/native/tiles.sh: best whole-product rate on Zen 4 of 6x64, 8x48, 12x32, 14x32, 16x16; binding.gyp gives the flags).
#define CHARNN_NS avx512
#define CHARNN_ISA_NAME "avx512"
#define CHARNN_OPS avx512Ops
#define CHARNN_W 16
#ifndef CHARNN_MR
#define CHARNN_MR 16
#endif
#ifndef CHARNN_NV
#define CHARNN_NV 1
#endif
#ifndef CHARNN_KC
#define CHARNN_KC 256
#endif
#include "kernels.inc"
#endif
