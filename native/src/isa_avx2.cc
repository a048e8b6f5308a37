#if defined(__x86_64__)
// The avx2 kernels: kernels.inc on 256-bit vectors, a 6x16 register tile (bench/native/tiles.sh: best of 4x24, 6x16, 8x8, 12x8; binding.gyp gives the flags).
#define CHARNN_NS avx2
#define CHARNN_ISA_NAME "avx2"
#define CHARNN_OPS avx2Ops
#define CHARNN_W 8
#ifndef CHARNN_MR
#define CHARNN_MR 6
#endif
#ifndef CHARNN_NV
#define CHARNN_NV 2
#endif
#ifndef CHARNN_KC
#define CHARNN_KC 256
#endif
#include "kernels.inc"
#endif
