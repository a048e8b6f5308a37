// Register-tile candidates for one instruction set, timed on this CPU's thread CPU time (robust to a loaded
// machine): the micro-kernel alone on panels in L1/L2 (kc = 256), and a whole packed product of an M-config shape
// through the same tile. Built and run by tiles.sh for each candidate, e.g. MR=12 NV=2 on AVX-512.
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "../../native/src/kernels.inc"

static double cpuSec() {
  timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

int main() {
  const charnn::Ops& o = charnn::CHARNN_OPS;
  const long kc = 256;
  float* ap = (float*)aligned_alloc(64, sizeof(float) * o.mr * kc * 8);
  float* bp = (float*)aligned_alloc(64, sizeof(float) * o.nr * kc * 8);
  float* c = (float*)aligned_alloc(64, sizeof(float) * o.mr * 8 * o.nr * 8);
  for (long i = 0; i < o.mr * kc * 8; i++) ap[i] = 0.001f * (i % 7);
  for (long i = 0; i < o.nr * kc * 8; i++) bp[i] = 0.001f * (i % 5);
  double best = 1e9;
  const long reps = 20000;
  for (int trial = 0; trial < 5; trial++) {
    double t0 = cpuSec();
    for (long r = 0; r < reps; r++) o.tile(kc, ap + (r & 7) * o.mr * kc, bp + ((r >> 3) & 7) * o.nr * kc, c, o.nr * 8, 1, o.mr, o.nr);
    double t = cpuSec() - t0;
    if (t < best) best = t;
  }
  printf("%s %dx%d: micro-kernel %.1f GFLOP/s", o.name, o.mr, o.nr, 2.0 * o.mr * o.nr * kc * reps / best / 1e9);
  // a whole product's tile loop (no threads): 64 x 512 x 2048 (M's recurrent step) packed then computed
  const long M = 64, K = 512, N = 2048;
  float* a = (float*)malloc(sizeof(float) * M * K);
  float* b = (float*)malloc(sizeof(float) * K * N);
  float* out = (float*)malloc(sizeof(float) * M * N);
  long mp = (M + o.mr - 1) / o.mr, np = (N + o.nr - 1) / o.nr;
  float* pa = (float*)aligned_alloc(64, sizeof(float) * mp * o.mr * kc);
  float* pb = (float*)aligned_alloc(64, sizeof(float) * np * o.nr * kc);
  for (long i = 0; i < M * K; i++) a[i] = 0.01f;
  for (long i = 0; i < K * N; i++) b[i] = 0.02f;
  best = 1e9;
  for (int trial = 0; trial < 5; trial++) {
    double t0 = cpuSec();
    for (int rep = 0; rep < 10; rep++)
      for (long pc = 0; pc < K; pc += kc) {
        for (long ip = 0; ip < mp; ip++) o.packA(pa + ip * o.mr * kc, a, M, K, ip * o.mr, pc, kc);
        for (long jp = 0; jp < np; jp++) o.packBT(pb + jp * o.nr * kc, b, K, N, jp * o.nr, pc, kc);
        for (long jp = 0; jp < np; jp++)
          for (long ip = 0; ip < mp; ip++) {
            long mv = M - ip * o.mr < o.mr ? M - ip * o.mr : o.mr, nv = N - jp * o.nr < o.nr ? N - jp * o.nr : o.nr;
            o.tile(kc, pa + ip * o.mr * kc, pb + jp * o.nr * kc, out + ip * o.mr * N + jp * o.nr, N, pc > 0, (int)mv, (int)nv);
          }
      }
    double t = cpuSec() - t0;
    if (t < best) best = t;
  }
  printf(", mmNT 64x512x2048 %.1f GFLOP/s (packing B^T included)\n", 2.0 * M * K * N * 10 / best / 1e9);
  return 0;
}
