// The portable kernels: kernels.inc on 128-bit vectors, a 4x8 register tile (bench/native/tiles.sh: best of 4x8, 6x8, 4x12, 8x4).
#define CHARNN_NS portable
#define CHARNN_ISA_NAME "portable"
#define CHARNN_OPS portableOps
#define CHARNN_W 4  // SSE2 on x86-64, NEON on arm64: 128-bit either way
#ifndef CHARNN_MR
#define CHARNN_MR 4
#endif
#ifndef CHARNN_NV
#define CHARNN_NV 2
#endif
#ifndef CHARNN_KC
#define CHARNN_KC 256
#endif
#include "kernels.inc"
