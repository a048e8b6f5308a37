// The portable kernels: kernels.inc on 128-bit vectors, an 4x8 register tile (binding.gyp gives the flags).
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
