#if defined(__x86_64__)
// The avx512 kernels: kernels.inc on 512-bit vectors, an 12x32 register tile (binding.gyp gives the flags).
#define CHARNN_NS avx512
#define CHARNN_ISA_NAME "avx512"
#define CHARNN_OPS avx512Ops
#define CHARNN_W 16
#ifndef CHARNN_MR
#define CHARNN_MR 12
#endif
#ifndef CHARNN_NV
#define CHARNN_NV 2
#endif
#ifndef CHARNN_KC
#define CHARNN_KC 256
#endif
#include "kernels.inc"
#endif
