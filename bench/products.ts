/**
 * The matrix products one training step of a config makes (per layer: the recurrent product at batch rows, the
 * input projection of a whole window, the decoder, and their backward products), timed on charnn's kernels and
 * on torch.mm with the same shapes and transposes, so the bench prints GFLOP/s side by side.
 * Dimension legend: B batch, T window, H hidden, G gates x H, V vocabulary.
 */
import { spawnSync } from 'node:child_process';
import type { Kernels } from '../src/math/kernels.js';

export type Op = 'mm' | 'mmNT' | 'mmTN';
/** packed: charnn runs it as training does, on W packed once per window (packRight outside the timing, mmPacked
 *  timed); torch.mm packs per call, as PyTorch's RNN step (addmm) does. */
export interface Shape { what: string; op: Op; M: number; K: number; N: number; packed?: boolean }

export function productShapes(c: { cell: string; hidden: number; seq: number; batch: number }, V: number): Shape[] {
  const H = c.hidden, G = ({ lstm: 4, gru: 3, rnn: 1 } as Record<string, number>)[c.cell] * H, TB = c.seq * c.batch;
  return [
    { what: 'recurrent packed W', op: 'mmNT', M: c.batch, K: H, N: G, packed: true },
    { what: 'input x·Wihᵀ', op: 'mmNT', M: TB, K: H, N: G },
    { what: 'dWih += dgᵀ·x', op: 'mmTN', M: G, K: TB, N: H },
    { what: 'dx = dg·Wih', op: 'mm', M: TB, K: G, N: H },
    { what: 'decoder h·Wdᵀ', op: 'mmNT', M: TB, K: H, N: V },
  ];
}

/** Median GFLOP/s of each shape on these kernels (about `budgetMs` per shape). */
export function charnnProducts(k: Kernels, shapes: Shape[], budgetMs = 400): number[] {
  return shapes.map((s) => {
    const a = k.alloc(s.M * s.K), b = k.alloc(s.K * s.N), out = k.alloc(s.M * s.N);
    for (let i = 0; i < a.length; i++) a[i] = ((i * 7) % 13) / 13 - 0.5;
    for (let i = 0; i < b.length; i++) b[i] = ((i * 5) % 11) / 11 - 0.5;
    const bT = s.op === 'mmNT';
    const packed = s.packed ? k.alloc(k.packedSize(s.K, s.N)) : null;
    if (packed) k.packRight(packed, b, s.K, s.N, bT);
    const run = packed ? () => k.mmPacked(out, a, packed, s.M, s.K, s.N, bT, false) : () => k[s.op](out, a, b, s.M, s.K, s.N, false);
    run();
    const times: number[] = [];
    const t0 = performance.now();
    while (times.length < 5 || (performance.now() - t0 < budgetMs && times.length < 2000)) {
      const s0 = performance.now();
      run();
      times.push(performance.now() - s0);
    }
    times.sort((x, y) => x - y);
    return (2 * s.M * s.K * s.N) / (times[times.length >> 1] * 1e6);
  });
}

const TORCH_MM = `
import json, sys, time, torch
shapes, threads = json.loads(sys.argv[1]), int(sys.argv[2])
torch.set_num_threads(threads)
out = []
for s in shapes:
    M, K, N, op = s['M'], s['K'], s['N'], s['op']
    a = torch.rand(K, M).t() if op == 'mmTN' else torch.rand(M, K)  # the stored layouts charnn's kernels take
    b = torch.rand(N, K).t() if op == 'mmNT' else torch.rand(K, N)
    torch.mm(a, b)
    ts, t0 = [], time.perf_counter()
    while len(ts) < 5 or (time.perf_counter() - t0 < 0.4 and len(ts) < 2000):
        s0 = time.perf_counter(); torch.mm(a, b); ts.append(time.perf_counter() - s0)
    ts.sort()
    out.append(2 * M * K * N / ts[len(ts) // 2] / 1e9)
print(json.dumps(out))
`;

/** torch.mm GFLOP/s on the same shapes (null if PyTorch fails). */
export function torchProducts(shapes: Shape[], threads: number, env: NodeJS.ProcessEnv): number[] | null {
  const r = spawnSync('/usr/bin/python3', ['-c', TORCH_MM, JSON.stringify(shapes), String(threads)], { encoding: 'utf8', env });
  if (r.status !== 0) return null;
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as number[];
}
