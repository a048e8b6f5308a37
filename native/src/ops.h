// The table of kernels one instruction set provides (isa_*.cc compile kernels.inc once per set). The drivers
// (gemm.cc, backend.cc) split calls into ranges and call these; nothing here knows about threads or Node.
//
// Plain declarations only: every ISA translation unit includes this file, and an inline function or template
// defined here would be emitted by each of them with its own instruction set, leaving the linker to keep one
// copy (possibly the AVX-512 one, run on a CPU without AVX-512).
//
// Dimension legend: M, K, N matrix sizes; B batch rows; H hidden size; V vocabulary; [lo, hi) a share.
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace charnn {

struct Ops {
  const char* name;  // "avx512", "avx2", "portable"
  int mr, nr, kc;    // register tile (rows x columns) and reduction block of the packed product

  // ---- packed product (BLIS-style): panels of mr rows of A and nr columns of B, kc deep, zero padded ----
  // A panel: dst[k*mr + r] = A(i0 + r, k0 + k). A row-major (M,K) (lda = K) or, with T, stored (K,M).
  void (*packA)(float* dst, const float* a, long M, long K, long i0, long k0, long kc);
  void (*packAT)(float* dst, const float* a, long M, long K, long i0, long k0, long kc);
  // B panel: dst[k*nr + j] = B(k0 + k, j0 + j). B row-major (K,N) or, with T, stored (N,K).
  void (*packB)(float* dst, const float* b, long K, long N, long j0, long k0, long kc);
  void (*packBT)(float* dst, const float* b, long K, long N, long j0, long k0, long kc);
  // C tile (mv <= mr rows, nv <= nr columns at c, row stride ldc) = or += packed A panel . packed B panel.
  void (*tile)(long kc, const float* ap, const float* bp, float* c, long ldc, int add, int mv, int nv);
  // C rows (mv in 1..4, row stride ldc) [+]= A rows (unpacked, row stride lda, kc columns) . packed B panel:
  // the few-row product on pre-packed panels (mmPacked at batch 1 to 4), nv <= nr columns.
  void (*thin)(long kc, const float* a, long lda, const float* bp, float* c, long ldc, int add, int mv, int nv);

  // ---- few-row products (batch-1 sampling), no packing: out rows [0, M), columns [j0, j1) ----------------
  // out (M,N) [+]= A · B, B (K,N); A (M,K), or stored (K,M) when aT.
  void (*rowsMm)(float* out, const float* a, const float* b, long M, long K, long N, long j0, long j1, int acc, int aT);
  // out (M,N) [+]= A · Bᵀ, A (M,K), B (N,K)
  void (*rowsMmNT)(float* out, const float* a, const float* b, long M, long K, long N, long j0, long j1, int acc);

  // ---- elementwise on [lo, hi) ----------------------------------------------------------------------------
  void (*fill)(float* out, float v, long lo, long hi);
  void (*copy)(float* out, const float* src, long lo, long hi);
  void (*axpy)(float* y, float alpha, const float* x, long lo, long hi);
  void (*scale)(float* x, float alpha, long lo, long hi);
  void (*mul)(float* out, const float* a, const float* b, long lo, long hi);
  double (*sumSq)(const float* x, long lo, long hi);

  // ---- rows and columns ------------------------------------------------------------------------------------
  void (*rowsSet)(float* out, const float* bias, long N, long r0, long r1);
  // out[c0..c1) += column sums of a (M,N) over all M rows (float64 sums)
  void (*colSumAcc)(float* out, const float* a, long M, long N, long c0, long c1);
  // rows [r0, r1): out[m] += table[ids[m]]
  void (*gatherAdd)(float* out, const float* table, const int32_t* ids, long N, long r0, long r1);
  // columns [c0, c1) of every row m: table[ids[m]] += d[m] (split by column: repeated ids never race)
  void (*scatterAdd)(float* table, const float* d, const int32_t* ids, long M, long N, long c0, long c1);

  // ---- fused cells, batch rows [b0, b1) ------------------------------------------------------------------
  void (*lstmForward)(float* h, float* c, float* act, const float* pre, const float* cPrev, long H, long b0, long b1);
  void (*lstmBackward)(float* dpre, float* dcPrev, const float* dh, const float* dc, const float* act, const float* c,
                       const float* cPrev, long H, long b0, long b1);
  void (*gruForward)(float* h, float* act, const float* gi, const float* gh, const float* hPrev, long H, long b0, long b1);
  void (*gruBackward)(float* dgi, float* dgh, float* dhPrev, const float* dh, const float* act, const float* gh,
                      const float* hPrev, long H, long b0, long b1);
  void (*rnnForward)(float* h, const float* pre, long lo, long hi);
  void (*rnnBackward)(float* dpre, const float* dh, const float* h, long lo, long hi);

  // ---- loss and optimizers -------------------------------------------------------------------------------
  // rows [r0, r1); returns their summed loss (float64)
  double (*softmaxXent)(float* dl, const float* logits, const int32_t* t, long V, float gradScale, long r0, long r1);
  // step = lr / (1 - b1^t), ibc2 = 1 / (1 - b2^t)
  void (*adam)(float* p, const float* g, float* m, float* v, long lo, long hi, float step, float b1, float b2,
               float ibc2, float eps, float gScale);
  void (*rmsprop)(float* p, const float* g, float* s, long lo, long hi, float lr, float alpha, float eps, float gScale);
  void (*sgd)(float* p, const float* g, float* buf, long lo, long hi, float lr, float mom, float gScale);

  // the vector e^x (0), σ(x) (1), tanh(x) (2) the kernels use, so tests can measure their error
  void (*approx)(int fn, float* out, const float* x, long n);

  // ---- layer norm (--layer-norm): rows [r0, r1) of N, statistics in float64 ----------------------------------------
  void (*layerNormForward)(float* y, float* mean, float* rstd, const float* x, const float* gain, const float* bias,
                           long N, long r0, long r1);
  // the backward in two passes, columns first (dx may alias dy or x): dgain/dbias columns [c0, c1), summed over all
  // M rows in order; then dx rows [r0, r1)
  void (*layerNormBackwardRows)(float* dx, const float* dy, const float* x, const float* mean, const float* rstd,
                                const float* gain, long N, long r0, long r1);
  void (*layerNormBackwardCols)(float* dgain, float* dbias, const float* dy, const float* x, const float* mean,
                                const float* rstd, long M, long N, long c0, long c1);
  // LSTM output on a normalised cell, batch rows [b0, b1)
  void (*lstmNormForward)(float* h, const float* act, const float* cn, long H, long b0, long b1);
  void (*lstmNormBackward)(float* dcn, const float* dh, const float* act, const float* cn, long H, long b0, long b1);
};

extern const Ops portableOps;
#if defined(__x86_64__)
extern const Ops avx2Ops;
extern const Ops avx512Ops;
#endif

}  // namespace charnn
