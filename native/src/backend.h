// The native backend behind the addon: one instruction set's kernels (ops.h), a thread pool (pool.h) and the
// packing scratch. Its methods take raw pointers and sizes that addon.cc has already checked against the
// arrays' lengths; they split each call into chunks whose arithmetic depends only on the shape, so results are
// the same bits for any thread count. Semantics and shapes: src/math/kernels.ts.
#pragma once
#include <stdint.h>
#include <string>

#include "ops.h"
#include "pool.h"

namespace charnn {

/** The kernels for `want` ("avx512", "avx2", "portable"; empty: the best this CPU runs), or null with *err set. */
const Ops* selectOps(const std::string& want, std::string* err);
/** Instruction sets this CPU runs, best first. */
std::string supportedIsas();

class Backend {
 public:
  Backend(const Ops* ops, int threads) : ops_(ops), pool_(threads) {}
  ~Backend();
  Backend(const Backend&) = delete;
  Backend& operator=(const Backend&) = delete;

  const Ops& ops() const { return *ops_; }
  int threads() const { return pool_.threads(); }
  void close() { pool_.close(); }

  void fill(float* out, float v, long n);
  void copy(float* out, const float* src, long n);
  void axpy(float* y, float alpha, const float* x, long n);
  void scale(float* x, float alpha, long n);
  void mul(float* out, const float* a, const float* b, long n);
  double sumSq(const float* x, long n);

  /** out (M,N) [+]= op(A) · op(B): aT: A stored (K,M); bT: B stored (N,K). */
  void gemm(bool aT, bool bT, float* out, const float* a, const float* b, long M, long K, long N, bool acc);

  /** Floats packRight needs for a (K,N) right operand on this instruction set: a header, alignment slack and
   *  the zero-padded column panels of every reduction block. */
  long packedSize(long K, long N) const;
  /** dst = b (K,N), or bᵀ when bT (b stored (N,K)), as packed column panels (a snapshot of b). */
  void packRight(float* dst, const float* b, long K, long N, bool bT);
  /** The packed panels inside dst if packRight wrote them for exactly (K, N, bT) on this instruction set (and
   *  the array has not moved since), else null. */
  const float* packedPanels(const float* dst, long len, long K, long N, bool bT) const;
  /** out (M,N) [+]= a (M,K) · the operand packed into `panels` (see packedPanels). */
  void mmPacked(float* out, const float* a, const float* panels, long M, long K, long N, bool acc);

  void rowsSet(float* out, const float* bias, long M, long N);
  void colSumAcc(float* out, const float* a, long M, long N);
  void gatherAdd(float* out, const float* table, const int32_t* ids, long M, long N);
  void scatterAdd(float* table, const float* d, const int32_t* ids, long M, long N);

  void lstmForward(float* h, float* c, float* act, const float* pre, const float* cPrev, long B, long H);
  void lstmBackward(float* dpre, float* dcPrev, const float* dh, const float* dc, const float* act, const float* c,
                    const float* cPrev, long B, long H);
  void gruForward(float* h, float* act, const float* gi, const float* gh, const float* hPrev, long B, long H);
  void gruBackward(float* dgi, float* dgh, float* dhPrev, const float* dh, const float* act, const float* gh,
                   const float* hPrev, long B, long H);
  void rnnForward(float* h, const float* pre, long n);
  void rnnBackward(float* dpre, const float* dh, const float* h, long n);

  double softmaxXent(float* dl, const float* logits, const int32_t* t, long M, long V, float gradScale);
  void adam(float* p, const float* g, float* m, float* v, long n, float step, float b1, float b2, float ibc2,
            float eps, float gScale);
  void rmsprop(float* p, const float* g, float* s, long n, float lr, float alpha, float eps, float gScale);
  void sgd(float* p, const float* g, float* buf, long n, float lr, float mom, float gScale);

  void layerNormForward(float* y, float* mean, float* rstd, const float* x, const float* gain, const float* bias, long M,
                        long N);
  void layerNormBackward(float* dx, float* dgain, float* dbias, const float* dy, const float* x, const float* mean,
                         const float* rstd, const float* gain, long M, long N);
  void lstmNormForward(float* h, const float* act, const float* cn, long B, long H);
  void lstmNormBackward(float* dcn, const float* dh, const float* act, const float* cn, long B, long H);

 private:
  /** Chunks for `units` of work worth splitting when units >= `min` (one chunk otherwise): 1 to 4 per thread,
   *  never more than units. */
  long chunksFor(long units, long min) const;
  /** Runs f(lo, hi) over [0, units) cut into `chunks` contiguous shares (shares may be empty; chunks >= 1). */
  template <class F>
  void shares(long units, long chunks, F&& f) {
    if (units <= 0) return;
    if (chunks < 1) chunks = 1;
    pool_.run(chunks, [&](long c) {
      // 128-bit products: exact for any array size
      long lo = (long)((__int128)units * c / chunks), hi = (long)((__int128)units * (c + 1) / chunks);
      if (lo < hi) f(lo, hi);
    });
  }
  float* packScratch(size_t floats);
  double* sumScratch(size_t n);

  const Ops* ops_;
  Pool pool_;
  float* pack_ = nullptr;
  size_t packCap_ = 0;
  double* sums_ = nullptr;
  size_t sumsCap_ = 0;
};

}  // namespace charnn
