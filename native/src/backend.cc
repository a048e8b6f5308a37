// Splitting of the non-product kernels, ISA selection and scratch. The products are in gemm.cc.
#include "backend.h"

#include <stdlib.h>
#include <string.h>

#include <new>

namespace charnn {

namespace {
// Below these sizes a call stays on the calling thread (a fork-join costs ~1-2 µs).
constexpr long PAR_ELEMS = 1 << 15;  // elementwise kernels and optimizers
constexpr long PAR_ROWS = 1 << 13;   // M·N of row kernels and softmax
constexpr long PAR_CELL = 1 << 11;   // B·H of a cell step
constexpr long SUMSQ_CHUNK = 4096;   // fixed partial-sum blocks: the float64 sum does not depend on the split
constexpr long XENT_CHUNK = 32;      // rows per partial loss, likewise
}  // namespace

#if defined(__x86_64__)
static bool hasAvx512() {
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
         __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("fma");
}
static bool hasAvx2() { return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"); }
#endif

std::string supportedIsas() {
  std::string s;
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (hasAvx512()) s += "avx512, ";
  if (hasAvx2()) s += "avx2, ";
#endif
  return s + "portable";
}

const Ops* selectOps(const std::string& want, std::string* err) {
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (want.empty()) return hasAvx512() ? &avx512Ops : hasAvx2() ? &avx2Ops : &portableOps;
  if (want == "avx512" && hasAvx512()) return &avx512Ops;
  if (want == "avx2" && hasAvx2()) return &avx2Ops;
#else
  if (want.empty()) return &portableOps;
#endif
  if (want == "portable") return &portableOps;
  *err = "instruction set " + want + " is not available on this CPU (available: " + supportedIsas() + ")";
  return nullptr;
}

Backend::~Backend() {
  pool_.close();
  free(pack_);
  free(sums_);
}

long Backend::chunksFor(long units, long min) const {
  const long nt = pool_.threads();
  if (nt == 1 || units < min) return 1;
  long c = 4 * nt;
  return c < units ? c : units;
}

float* Backend::packScratch(size_t floats) {
  if (floats > packCap_) {
    free(pack_);
    size_t bytes = (floats * 4 + 63) & ~(size_t)63;
    pack_ = static_cast<float*>(aligned_alloc(64, bytes));
    if (!pack_) { packCap_ = 0; throw std::bad_alloc(); }
    packCap_ = floats;
  }
  return pack_;
}

double* Backend::sumScratch(size_t n) {
  if (n > sumsCap_) {
    free(sums_);
    sums_ = static_cast<double*>(malloc((n < 64 ? 64 : n) * sizeof(double)));
    if (!sums_) { sumsCap_ = 0; throw std::bad_alloc(); }
    sumsCap_ = n < 64 ? 64 : n;
  }
  return sums_;
}

// ---- elementwise ---------------------------------------------------------------------------------------------------

void Backend::fill(float* out, float v, long n) {
  shares(n, chunksFor(n, PAR_ELEMS), [&](long lo, long hi) { ops_->fill(out, v, lo, hi); });
}
void Backend::copy(float* out, const float* src, long n) {
  shares(n, chunksFor(n, PAR_ELEMS), [&](long lo, long hi) { ops_->copy(out, src, lo, hi); });
}
void Backend::axpy(float* y, float alpha, const float* x, long n) {
  shares(n, chunksFor(n, PAR_ELEMS), [&](long lo, long hi) { ops_->axpy(y, alpha, x, lo, hi); });
}
void Backend::scale(float* x, float alpha, long n) {
  shares(n, chunksFor(n, PAR_ELEMS), [&](long lo, long hi) { ops_->scale(x, alpha, lo, hi); });
}
void Backend::mul(float* out, const float* a, const float* b, long n) {
  shares(n, chunksFor(n, PAR_ELEMS), [&](long lo, long hi) { ops_->mul(out, a, b, lo, hi); });
}
double Backend::sumSq(const float* x, long n) {
  if (n <= 0) return 0;
  const long blocks = (n + SUMSQ_CHUNK - 1) / SUMSQ_CHUNK;
  double* part = sumScratch(blocks);
  shares(blocks, chunksFor(n, PAR_ELEMS) < blocks ? chunksFor(n, PAR_ELEMS) : blocks, [&](long lo, long hi) {
    for (long b = lo; b < hi; b++) {
      long e = (b + 1) * SUMSQ_CHUNK < n ? (b + 1) * SUMSQ_CHUNK : n;
      part[b] = ops_->sumSq(x, b * SUMSQ_CHUNK, e);
    }
  });
  double s = 0;
  for (long b = 0; b < blocks; b++) s += part[b];
  return s;
}

// ---- rows and columns ----------------------------------------------------------------------------------------------

void Backend::rowsSet(float* out, const float* bias, long M, long N) {
  if (N <= 0) return;
  shares(M, chunksFor(M * N >= PAR_ROWS ? M : 0, 1), [&](long lo, long hi) { ops_->rowsSet(out, bias, N, lo, hi); });
}
void Backend::colSumAcc(float* out, const float* a, long M, long N) {
  if (M <= 0) return;
  // by 16-column groups, all rows each: every column's float64 sum runs over the rows in order
  const long groups = (N + 15) / 16;
  shares(groups, chunksFor(M * N >= PAR_ROWS ? groups : 0, 1), [&](long lo, long hi) {
    ops_->colSumAcc(out, a, M, N, lo * 16, hi * 16 < N ? hi * 16 : N);
  });
}
void Backend::gatherAdd(float* out, const float* table, const int32_t* ids, long M, long N) {
  if (N <= 0) return;
  shares(M, chunksFor(M * N >= PAR_ROWS ? M : 0, 1), [&](long lo, long hi) { ops_->gatherAdd(out, table, ids, N, lo, hi); });
}
void Backend::scatterAdd(float* table, const float* d, const int32_t* ids, long M, long N) {
  if (M <= 0) return;
  const long groups = (N + 15) / 16;
  shares(groups, chunksFor(M * N >= PAR_ROWS ? groups : 0, 1), [&](long lo, long hi) {
    ops_->scatterAdd(table, d, ids, M, N, lo * 16, hi * 16 < N ? hi * 16 : N);
  });
}

// ---- cells: split by batch rows --------------------------------------------------------------------------------------

void Backend::lstmForward(float* h, float* c, float* act, const float* pre, const float* cPrev, long B, long H) {
  if (H <= 0) return;
  shares(B, chunksFor(B * H >= PAR_CELL ? B : 0, 2), [&](long lo, long hi) { ops_->lstmForward(h, c, act, pre, cPrev, H, lo, hi); });
}
void Backend::lstmBackward(float* dpre, float* dcPrev, const float* dh, const float* dc, const float* act, const float* c,
                           const float* cPrev, long B, long H) {
  if (H <= 0) return;
  shares(B, chunksFor(B * H >= PAR_CELL ? B : 0, 2),
         [&](long lo, long hi) { ops_->lstmBackward(dpre, dcPrev, dh, dc, act, c, cPrev, H, lo, hi); });
}
void Backend::gruForward(float* h, float* act, const float* gi, const float* gh, const float* hPrev, long B, long H) {
  if (H <= 0) return;
  shares(B, chunksFor(B * H >= PAR_CELL ? B : 0, 2), [&](long lo, long hi) { ops_->gruForward(h, act, gi, gh, hPrev, H, lo, hi); });
}
void Backend::gruBackward(float* dgi, float* dgh, float* dhPrev, const float* dh, const float* act, const float* gh,
                          const float* hPrev, long B, long H) {
  if (H <= 0) return;
  shares(B, chunksFor(B * H >= PAR_CELL ? B : 0, 2),
         [&](long lo, long hi) { ops_->gruBackward(dgi, dgh, dhPrev, dh, act, gh, hPrev, H, lo, hi); });
}
void Backend::rnnForward(float* h, const float* pre, long n) {
  shares(n, chunksFor(n, PAR_CELL), [&](long lo, long hi) { ops_->rnnForward(h, pre, lo, hi); });
}
void Backend::rnnBackward(float* dpre, const float* dh, const float* h, long n) {
  shares(n, chunksFor(n, PAR_CELL), [&](long lo, long hi) { ops_->rnnBackward(dpre, dh, h, lo, hi); });
}

// ---- loss and optimizers ---------------------------------------------------------------------------------------------

double Backend::softmaxXent(float* dl, const float* logits, const int32_t* t, long M, long V, float gradScale) {
  if (M <= 0 || V <= 0) return 0;
  const long blocks = (M + XENT_CHUNK - 1) / XENT_CHUNK;
  double* part = sumScratch(blocks);
  shares(blocks, chunksFor(M * V >= PAR_ROWS ? blocks : 0, 2), [&](long lo, long hi) {
    for (long b = lo; b < hi; b++) {
      long e = (b + 1) * XENT_CHUNK < M ? (b + 1) * XENT_CHUNK : M;
      part[b] = ops_->softmaxXent(dl, logits, t, V, gradScale, b * XENT_CHUNK, e);
    }
  });
  double s = 0;
  for (long b = 0; b < blocks; b++) s += part[b];
  return s;
}
void Backend::adam(float* p, const float* g, float* m, float* v, long n, float step, float b1, float b2, float ibc2,
                   float eps, float gScale) {
  shares(n, chunksFor(n, PAR_ELEMS), [&](long lo, long hi) { ops_->adam(p, g, m, v, lo, hi, step, b1, b2, ibc2, eps, gScale); });
}
void Backend::rmsprop(float* p, const float* g, float* s, long n, float lr, float alpha, float eps, float gScale) {
  shares(n, chunksFor(n, PAR_ELEMS), [&](long lo, long hi) { ops_->rmsprop(p, g, s, lo, hi, lr, alpha, eps, gScale); });
}
void Backend::sgd(float* p, const float* g, float* buf, long n, float lr, float mom, float gScale) {
  shares(n, chunksFor(n, PAR_ELEMS), [&](long lo, long hi) { ops_->sgd(p, g, buf, lo, hi, lr, mom, gScale); });
}

// ---- layer norm: rows split across threads; the backward's column sums by 16-column groups first ---------------------

void Backend::layerNormForward(float* y, float* mean, float* rstd, const float* x, const float* gain, const float* bias,
                               long M, long N) {
  shares(M, chunksFor(M * N >= PAR_ROWS ? M : 0, 1),
         [&](long lo, long hi) { ops_->layerNormForward(y, mean, rstd, x, gain, bias, N, lo, hi); });
}
void Backend::layerNormBackward(float* dx, float* dgain, float* dbias, const float* dy, const float* x, const float* mean,
                                const float* rstd, const float* gain, long M, long N) {
  if (M <= 0) return;
  // dgain/dbias before dx, which may overwrite dy or x; each column's sum runs over the rows in order (as colSumAcc)
  const long groups = (N + 15) / 16;
  shares(groups, chunksFor(M * N >= PAR_ROWS ? groups : 0, 1), [&](long lo, long hi) {
    ops_->layerNormBackwardCols(dgain, dbias, dy, x, mean, rstd, M, N, lo * 16, hi * 16 < N ? hi * 16 : N);
  });
  shares(M, chunksFor(M * N >= PAR_ROWS ? M : 0, 1),
         [&](long lo, long hi) { ops_->layerNormBackwardRows(dx, dy, x, mean, rstd, gain, N, lo, hi); });
}
void Backend::lstmNormForward(float* h, const float* act, const float* cn, long B, long H) {
  if (H <= 0) return;
  shares(B, chunksFor(B * H >= PAR_CELL ? B : 0, 2), [&](long lo, long hi) { ops_->lstmNormForward(h, act, cn, H, lo, hi); });
}
void Backend::lstmNormBackward(float* dcn, const float* dh, const float* act, const float* cn, long B, long H) {
  if (H <= 0) return;
  shares(B, chunksFor(B * H >= PAR_CELL ? B : 0, 2),
         [&](long lo, long hi) { ops_->lstmNormBackward(dcn, dh, act, cn, H, lo, hi); });
}

}  // namespace charnn
