/**
 * Kernel benchmark: GFLOP/s of mm, mmNT and mmTN on the shapes an S (2x128, seq 50, batch 50) and an M
 * (2x512, seq 100, batch 64) LSTM uses, for the js backend and the wasm backend on 1 and 2 threads, plus the
 * cost of the fused LSTM step and of Adam. Median of repeated timings. Last, the ceiling the products are
 * measured against: the GFLOP/s of a register-only loop of 128-bit multiply-adds on one core, same build.
 *
 *   npm run bench:kernels -- [--only S|M] [--ms 300] [--simd auto|relaxed|simd128]
 *
 * Shared 2-core machine: absolute figures are noisy; compare the columns of one run.
 */
import { parseArgs } from 'node:util';
import { createJsKernels } from '../src/math/kernels-js.js';
import type { Kernels } from '../src/math/kernels.js';
import { createWasmKernels } from '../src/math/wasm/index.js';
import { wasmApi } from '../src/math/wasm/wasm-api.js';

const { values: opt } = parseArgs({
  options: { only: { type: 'string' }, ms: { type: 'string', default: '300' }, simd: { type: 'string', default: 'auto' } },
});
const relaxedOpt = opt.simd === 'auto' ? {} : { relaxed: opt.simd === 'relaxed' };
const budgetMs = Number(opt.ms);

type Op = 'mm' | 'mmNT' | 'mmTN';
interface Shape { label: string; op: Op; M: number; K: number; N: number }

const shapes = (tag: string, B: number, H: number, T: number, V: number): Shape[] => [
  { label: `${tag} recurrent h·Whh`, op: 'mm', M: B, K: H, N: 4 * H },
  { label: `${tag} input proj x·Wih (T·B rows)`, op: 'mm', M: T * B, K: H, N: 4 * H },
  { label: `${tag} decoder h·Wdec`, op: 'mm', M: T * B, K: H, N: V },
  { label: `${tag} sampling h·Whh (M=1)`, op: 'mm', M: 1, K: H, N: 4 * H },
  { label: `${tag} bwd recurrent dpre·Whhᵀ`, op: 'mmNT', M: B, K: 4 * H, N: H },
  { label: `${tag} bwd input dpre·Wihᵀ`, op: 'mmNT', M: T * B, K: 4 * H, N: H },
  { label: `${tag} bwd decoder dlogits·Wdecᵀ`, op: 'mmNT', M: T * B, K: V, N: H },
  { label: `${tag} grad Wih/Whh xᵀ·dpre`, op: 'mmTN', M: H, K: T * B, N: 4 * H },
  { label: `${tag} grad Wdec hᵀ·dlogits`, op: 'mmTN', M: H, K: T * B, N: V },
];

const all: Shape[] = [
  ...(opt.only && opt.only !== 'S' ? [] : shapes('S', 50, 128, 50, 65)),
  ...(opt.only && opt.only !== 'M' ? [] : shapes('M', 64, 512, 100, 65)),
];

/** Median seconds per call of fn, repeated for about budgetMs. */
function time(fn: () => void): number {
  fn();
  const samples: number[] = [];
  const end = performance.now() + budgetMs;
  let reps = 1;
  // calibrate so one sample takes >= ~2 ms
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) fn();
    const dt = performance.now() - t0;
    if (dt >= 2 || reps >= 1 << 20) break;
    reps *= 2;
  }
  while (performance.now() < end || samples.length < 5) {
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) fn();
    samples.push((performance.now() - t0) / reps);
  }
  samples.sort((x, y) => x - y);
  return samples[samples.length >> 1] / 1e3;
}

function gflops(k: Kernels, s: Shape): number {
  const aLen = s.M * s.K, bLen = s.K * s.N;
  const a = k.alloc(aLen), b = k.alloc(bLen), o = k.alloc(s.M * s.N);
  for (let i = 0; i < aLen; i++) a[i] = Math.sin(i) * 0.5;
  for (let i = 0; i < bLen; i++) b[i] = Math.cos(i) * 0.5;
  const sec = time(() => k[s.op](o, a, b, s.M, s.K, s.N, true));
  return (2 * s.M * s.K * s.N) / sec / 1e9;
}

function lstmStepUs(k: Kernels, B: number, H: number): number {
  const pre = k.alloc(B * 4 * H), act = k.alloc(B * 4 * H), h = k.alloc(B * H), c = k.alloc(B * H), cp = k.alloc(B * H);
  for (let i = 0; i < pre.length; i++) pre[i] = Math.sin(i) * 3;
  return time(() => k.lstmForward(h, c, act, pre, cp, B, H)) * 1e6;
}

function adamMs(k: Kernels, n: number): number {
  const p = k.alloc(n), g = k.alloc(n), m = k.alloc(n), v = k.alloc(n);
  for (let i = 0; i < n; i++) g[i] = Math.sin(i);
  return time(() => k.adam(p, g, m, v, n, 2e-3, 0.9, 0.999, 1e-8, 10, 1)) * 1e3;
}

const backends: { name: string; k: Kernels }[] = [
  { name: 'js', k: createJsKernels('float32') },
  { name: 'wasm 1t', k: await createWasmKernels({ threads: 1, ...relaxedOpt }) },
  { name: 'wasm 2t', k: await createWasmKernels({ threads: 2, ...relaxedOpt }) },
];
const simd = (backends[1].k as unknown as { simd: string }).simd;
console.log(`kernel GFLOP/s (median; wasm ${simd}; shared machine, noisy)`);
console.log(['shape'.padEnd(40), 'M×K×N'.padEnd(16), ...backends.map((b) => b.name.padStart(9))].join(' '));
for (const s of all) {
  const row = [s.label.padEnd(40), `${s.M}×${s.K}×${s.N}`.padEnd(16)];
  for (const b of backends) row.push(gflops(b.k, s).toFixed(1).padStart(9));
  console.log(row.join(' '));
}
for (const [B, H] of [[50, 128], [64, 512], [1, 128]]) {
  const row = [`lstmForward µs B=${B} H=${H}`.padEnd(57)];
  for (const b of backends) row.push(lstmStepUs(b.k, B, H).toFixed(1).padStart(9));
  console.log(row.join(' '));
}
{
  const row = [`adam ms n=250k`.padEnd(57)];
  for (const b of backends) row.push(adamMs(b.k, 250_000).toFixed(3).padStart(9));
  console.log(row.join(' '));
}
for (const b of backends) b.k.dispose();

/**
 * Twelve independent multiply-add chains on registers: 96 floating-point operations per iteration and no loads,
 * so the loop runs at what the vector units allow. Compiled here from AssemblyScript with the same build flags.
 */
async function peakGflops(relaxed: boolean): Promise<number> {
  const madd = relaxed ? 'f32x4.relaxed_madd(c, x, y)' : 'f32x4.add(f32x4.mul(c, x), y)';
  const chains = Array.from({ length: 12 }, (_, i) => `c${i}`);
  const src = `export function peak(n: i32, x0: f32, y0: f32): f32 {
    const x = f32x4.splat(x0), y = f32x4.splat(y0);
    let ${chains.map((c) => `${c} = f32x4.splat(${c.slice(1)})`).join(', ')};
    for (let i = 0; i < n; i++) { ${chains.map((c) => `${c} = ${madd.replace(/c,/, `${c},`)};`).join(' ')} }
    let s = c0; ${chains.slice(1).map((c) => `s = f32x4.add(s, ${c});`).join(' ')}
    return f32x4.extract_lane(s, 0);
  }`;
  const asc = await import('assemblyscript/asc');
  const r = await asc.compileString(src, {
    optimizeLevel: 3, runtime: 'stub', noAssert: true, enable: relaxed ? ['simd', 'relaxed-simd'] : ['simd'],
  });
  if (r.error || !r.binary) throw new Error(`peak kernel: ${r.error?.message ?? 'no binary'}: ${r.stderr.toString()}`);
  const inst = await wasmApi.instantiate(await wasmApi.compile(r.binary), {});
  const ex = inst.exports as unknown as { peak(n: number, x: number, y: number): number };
  const n = 5_000_000;
  ex.peak(n, 0.999, 1e-3); // tier up
  const sec = time(() => ex.peak(n, 0.999, 1e-3));
  return (n * 96) / sec / 1e9;
}
const relaxedBuild = simd === 'relaxed-simd';
console.log(`ceiling, 1 core: ${(await peakGflops(relaxedBuild)).toFixed(1)} GFLOP/s (12 register-only chains c = c·x + y of ` +
  (relaxedBuild ? '128-bit fused multiply-adds: the FMA units\' peak)' : '128-bit multiply then add: bound by their latency, so below the peak)'));
