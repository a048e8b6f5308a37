// Matrix products on packed panels (BLIS's loop nest, flame/blis): for each block of up to MCMAX rows and NCMAX
// columns, for each reduction block of kc: pack that block of B into nr-column panels (threads share the
// packing), then threads take units of register tiles. A unit of whole rows packs each mr-row panel of A
// itself just before its tiles, so the panel stays in L1; with too few row panels for the threads, A is packed
// up front into a shared buffer and units split columns too.
// Each output element is the same chain of multiply-adds (kc block by kc block, in order) whichever unit, tile
// edge or thread computes it, so results do not depend on the thread count.
// Few-row products (batch-1 sampling) skip packing: packing B would cost as much as the product.
#include <string.h>

#include "backend.h"

namespace charnn {

namespace {
constexpr long PAR_MACS = 1 << 18;  // multiply-adds below which a product stays on the calling thread (~5 µs)
constexpr long SMALL_M = 4;         // rows up to which products stream B unpacked
constexpr long BLOCK = 4096;        // rows (columns) of A (B) packed at once: bounds the scratch to ~8 MiB
constexpr long MC_TARGET = 144;     // rows per compute unit: its A panels (MC x kc) stay in L2
constexpr long NC_TARGET = 512;     // columns per compute unit
constexpr long FUSED_NP = 8;        // column panels up to which a product fuses A's packing whatever its rows
constexpr long FUSED_AP = 16 * 256;  // floats of the per-unit A panel (on the stack): the largest MR x KC
constexpr long COL_GROUP = 64;      // column granularity of the few-row products (a multiple of 4 vectors and of 4)

// A packed right operand (packRight): HEADER floats of int32 fields, then, from the first 64-byte boundary at
// or after them, the column panels: panel jp holds NR*K floats, its reduction block pc (kc deep) at NR*pc.
constexpr long HEADER = 16, SLACK = 16;
constexpr int32_t PACK_MAGIC = 0x434e5250;  // 'CNRP'
enum { H_MAGIC, H_K, H_N, H_T, H_NR, H_KC, H_MR, H_OFFSET, H_FIELDS };
long alignedOffset(const float* dst) {
  uintptr_t p = (uintptr_t)(dst + HEADER);
  return HEADER + (long)(((64 - (p & 63)) & 63) / sizeof(float));
}

// An empty output, or no reduction (out = 0, or kept with acc): nothing for the kernels to do.
bool trivialProduct(float* out, long M, long K, long N, bool acc) {
  if (M <= 0 || N <= 0) return true;
  if (K > 0) return false;
  if (!acc) memset(out, 0, sizeof(float) * M * N);
  return true;
}

// Compute units: mcp row panels x ncp column panels (mb x nb of them), halved until every thread has a couple.
// wholeRows keeps every unit's columns whole (units that pack their own A panels).
struct Units {
  long mcp, ncp, mb, nb;
};
Units planUnits(long mp, long np, long MR, long NR, bool par, long nt, bool wholeRows) {
  long mcp = (MC_TARGET + MR - 1) / MR, ncp = wholeRows ? np : (NC_TARGET + NR - 1) / NR;
  if (mcp > mp) mcp = mp;
  if (ncp > np) ncp = np;
  auto units = [&] { return ((mp + mcp - 1) / mcp) * ((np + ncp - 1) / ncp); };
  while (par && units() < 2 * nt && (mcp > 1 || ncp > 1)) {
    if (ncp >= mcp && ncp > 1 && !wholeRows) ncp = (ncp + 1) / 2;
    else if (mcp > 1) mcp = (mcp + 1) / 2;
    else break;
  }
  return {mcp, ncp, (mp + mcp - 1) / mcp, (np + ncp - 1) / ncp};
}

// The operands of one reduction block [pc, pc + kc) of a row block at ic (column block at jc): A is either
// packed up front (panel ip at ap + ip*MR*kc) or, with ap null, packed by each unit one panel at a time into
// its own L1-sized buffer; B's panel jp at bp + jp*bpStride.
struct Block {
  const float* a;
  bool aT;
  long M, K, N, ic, jc, pc, kc;
  const float* ap;
  const float* bp;
  long bpStride;
  float* out;
  int add;
};

// Unit u's tiles. Packing its own A panels, it also fetches the next panel's A (into L2) while the tiles of
// this one compute, a share before each tile: waiting for it cost a fifth of a 6400-row decoder product.
void unitTiles(const Ops& o, const Units& us, long u, long mp, long np, const Block& b) {
  const long MR = o.mr, NR = o.nr, M = b.M, N = b.N;
  const long ib = u % us.mb, jb = u / us.mb;
  const long ip0 = ib * us.mcp, ip1 = (ib + 1) * us.mcp < mp ? (ib + 1) * us.mcp : mp;
  const long jp0 = jb * us.ncp, jp1 = (jb + 1) * us.ncp < np ? (jb + 1) * us.ncp : np;
  auto tileAt = [&](const float* ap, long ip, long jp) {
    const long i = b.ic + ip * MR, mv = M - i < MR ? M - i : MR, j = b.jc + jp * NR, nv = N - j < NR ? N - j : NR;
    o.tile(b.kc, ap, b.bp + jp * b.bpStride, b.out + i * N + j, N, b.add, (int)mv, (int)nv);
  };
  if (b.ap) {
    for (long jp = jp0; jp < jp1; jp++)
      for (long ip = ip0; ip < ip1; ip++) tileAt(b.ap + ip * MR * b.kc, ip, jp);
    return;
  }
  alignas(64) float apl[FUSED_AP];
  for (long ip = ip0; ip < ip1; ip++) {
    const long i = b.ic + ip * MR;
    (b.aT ? o.packAT : o.packA)(apl, b.a, M, b.K, i, b.pc, b.kc);
    // the next panel: MR rows of kc floats (A row-major), or kc rows of MR floats (A stored (K, M))
    const long rn = ip + 1 < ip1 ? (M - i - MR < MR ? M - i - MR : MR) : 0;
    const long runs = b.aT ? (rn ? b.kc : 0) : rn, lines = b.aT ? 1 : (b.kc + 15) / 16, todo = runs * lines;
    const long per = (todo + (jp1 - jp0) - 1) / (jp1 - jp0);
    long q = 0;
    for (long jp = jp0; jp < jp1; jp++) {
      for (long e = q + per < todo ? q + per : todo; q < e; q++) {
        const long r = q / lines, l = q % lines;
        __builtin_prefetch(b.aT ? b.a + (b.pc + r) * M + i + MR : b.a + (i + MR + r) * b.K + b.pc + l * 16, 0, 2);
      }
      tileAt(apl, ip, jp);
    }
  }
}
}  // namespace

long Backend::packedSize(long K, long N) const {
  const long NR = ops_->nr, np = (N + NR - 1) / NR;
  return HEADER + SLACK + np * NR * K;
}

void Backend::packRight(float* dst, const float* b, long K, long N, bool bT) {
  const Ops& o = *ops_;
  const long NR = o.nr, KC = o.kc, np = (N + NR - 1) / NR, off = alignedOffset(dst);
  const int32_t h[H_FIELDS] = {PACK_MAGIC, (int32_t)K, (int32_t)N, bT ? 1 : 0, o.nr, o.kc, o.mr, (int32_t)off};
  memcpy(dst, h, sizeof h);
  float* pan = dst + off;
  auto pack = bT ? o.packBT : o.packB;
  const bool par = pool_.threads() > 1 && (double)K * N >= PAR_MACS / 8;
  shares(np, par ? chunksFor(np, 2) : 1, [&](long lo, long hi) {
    for (long jp = lo; jp < hi; jp++)
      for (long pc = 0; pc < K; pc += KC) pack(pan + jp * NR * K + pc * NR, b, K, N, jp * NR, pc, K - pc < KC ? K - pc : KC);
  });
}

const float* Backend::packedPanels(const float* dst, long len, long K, long N, bool bT) const {
  if (len < packedSize(K, N)) return nullptr;
  int32_t h[H_FIELDS];
  memcpy(h, dst, sizeof h);
  const Ops& o = *ops_;
  const long off = alignedOffset(dst);
  if (h[H_MAGIC] != PACK_MAGIC || h[H_K] != K || h[H_N] != N || h[H_T] != (bT ? 1 : 0) || h[H_NR] != o.nr ||
      h[H_KC] != o.kc || h[H_MR] != o.mr || h[H_OFFSET] != off)
    return nullptr;
  return dst + off;
}

void Backend::mmPacked(float* out, const float* a, const float* pan, long M, long K, long N, bool acc) {
  if (trivialProduct(out, M, K, N, acc)) return;
  const bool par = pool_.threads() > 1 && (double)M * K * N >= PAR_MACS;
  const Ops& o = *ops_;
  const long MR = o.mr, NR = o.nr, KC = o.kc, np = (N + NR - 1) / NR;

  if (M <= SMALL_M) {  // A read in place, one column panel at a time
    shares(np, par ? chunksFor(np, 2) : 1, [&](long lo, long hi) {
      for (long jp = lo; jp < hi; jp++) {
        const long j = jp * NR, nv = N - j < NR ? N - j : NR;
        for (long pc = 0; pc < K; pc += KC)
          o.thin(K - pc < KC ? K - pc : KC, a + pc, K, pan + jp * NR * K + pc * NR, out + j, N, acc || pc > 0, (int)M, (int)nv);
      }
    });
    return;
  }

  const long mcMax = (BLOCK + MR - 1) / MR * MR;
  const long mpMax = (M < mcMax ? (M + MR - 1) / MR : mcMax / MR);
  float* ap = packScratch(mpMax * MR * KC);
  const long nt = pool_.threads();
  for (long ic = 0; ic < M; ic += mcMax) {
    const long mc = M - ic < mcMax ? M - ic : mcMax, mp = (mc + MR - 1) / MR;
    const Units us = planUnits(mp, np, MR, NR, par, nt, false);
    for (long pc = 0; pc < K; pc += KC) {
      const long kc = K - pc < KC ? K - pc : KC;
      shares(mp, par ? chunksFor(mp, 2) : 1, [&](long lo, long hi) {
        for (long u = lo; u < hi; u++) o.packA(ap + u * MR * kc, a, M, K, ic + u * MR, pc, kc);
      });
      const Block blk = {a, false, M, K, N, ic, 0, pc, kc, ap, pan + pc * NR, NR * K, out, acc || pc > 0};
      shares(us.mb * us.nb, par ? us.mb * us.nb : 1, [&](long lo, long hi) {
        for (long u = lo; u < hi; u++) unitTiles(o, us, u, mp, np, blk);
      });
    }
  }
}

void Backend::gemm(bool aT, bool bT, float* out, const float* a, const float* b, long M, long K, long N, bool acc) {
  if (trivialProduct(out, M, K, N, acc)) return;
  const bool par = pool_.threads() > 1 && (double)M * K * N >= PAR_MACS;
  const Ops& o = *ops_;

  if (M <= SMALL_M && !(aT && bT)) {
    const long groups = (N + COL_GROUP - 1) / COL_GROUP;
    shares(groups, par ? chunksFor(groups, 2) : 1, [&](long lo, long hi) {
      long j0 = lo * COL_GROUP, j1 = hi * COL_GROUP < N ? hi * COL_GROUP : N;
      if (bT) o.rowsMmNT(out, a, b, M, K, N, j0, j1, acc);
      else o.rowsMm(out, a, b, M, K, N, j0, j1, acc, aT);
    });
    return;
  }

  const long MR = o.mr, NR = o.nr, KC = o.kc;
  const long mcMax = (BLOCK + MR - 1) / MR * MR, ncMax = BLOCK / NR * NR;
  auto packA = aT ? o.packAT : o.packA;
  auto packB = bT ? o.packBT : o.packB;
  const long mpMax = (M < mcMax ? (M + MR - 1) / MR : mcMax / MR);
  const long npMax = (N < ncMax ? (N + NR - 1) / NR : ncMax / NR);
  float* ap = packScratch((mpMax * MR + npMax * NR) * KC);
  float* bpBase = ap + mpMax * MR * KC;
  const long nt = pool_.threads();

  for (long jc = 0; jc < N; jc += ncMax) {
    const long nc = N - jc < ncMax ? N - jc : ncMax, np = (nc + NR - 1) / NR;
    for (long ic = 0; ic < M; ic += mcMax) {
      const long mc = M - ic < mcMax ? M - ic : mcMax, mp = (mc + MR - 1) / MR;
      // Units of whole rows (all column panels) pack their own A panels just before their tiles use them, so a
      // panel stays in L1, instead of all of A going through a shared buffer in memory first (a 6400-row A is
      // 13 MB: it went out to memory and back). Measured (npm run bench's shapes, 2 threads, Zen 4): the
      // decoder 6400x512x65 86 -> 150-170 GFLOP/s, the 6400-row products of M 5-15% faster. With too few row
      // panels to give every thread a couple, A is packed up front and units split columns as well.
      const bool fused = (np <= FUSED_NP || !par || mp >= 4 * nt) && (long)MR * KC <= FUSED_AP;
      const Units us = planUnits(mp, np, MR, NR, par, nt, fused);
      const long ma = fused ? 0 : mp;  // A panels packed up front
      for (long pc = 0; pc < K; pc += KC) {
        const long kc = K - pc < KC ? K - pc : KC;
        shares(ma + np, par ? chunksFor(ma + np, 2) : 1, [&](long lo, long hi) {
          for (long u = lo; u < hi; u++) {
            if (u < ma) packA(ap + u * MR * kc, a, M, K, ic + u * MR, pc, kc);
            else packB(bpBase + (u - ma) * NR * kc, b, K, N, jc + (u - ma) * NR, pc, kc);
          }
        });
        const Block blk = {a, aT, M, K, N, ic, jc, pc, kc, fused ? nullptr : ap, bpBase, NR * kc, out, acc || pc > 0};
        shares(us.mb * us.nb, par ? us.mb * us.nb : 1, [&](long lo, long hi) {
          for (long u = lo; u < hi; u++) unitTiles(o, us, u, mp, np, blk);
        });
      }
    }
  }
}

}  // namespace charnn
