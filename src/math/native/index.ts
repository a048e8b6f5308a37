/**
 * The native backend: C++ kernels (native/src/, a Node-API addon) for AVX-512, AVX2+FMA or portable vectors,
 * chosen at run time, on a pool of native threads. Arrays are ordinary Float32Array / Int32Array; the addon works
 * on their memory in place (no copies), and checks every call's shapes against the arrays' lengths.
 * Dimension legend and semantics: kernels.ts.
 */
import { availableParallelism } from 'node:os';
import type { Kernels } from '../kernels.js';
import { loadNative, type NativeHandle } from './load.js';

export const NATIVE_ISAS = ['avx512', 'avx2', 'portable'] as const;
type NativeIsa = (typeof NATIVE_ISAS)[number];

export interface NativeKernelsOptions {
  /** Threads per large call, the calling thread included (default: os.availableParallelism()). */
  threads?: number;
  /** Instruction set to run (default: the best this CPU has); one the CPU lacks is an error. */
  isa?: NativeIsa;
}

export interface NativeKernels extends Kernels<Float32Array> {
  readonly isa: NativeIsa;
  /** register tile of the products, rows x columns */
  readonly tile: string;
  /** The kernels' vector e^x, σ(x) and tanh(x) on n elements (so tests can measure their error). */
  approx(fn: 'exp' | 'sigmoid' | 'tanh', out: Float32Array, x: Float32Array, n: number): void;
}

type Fn = (...args: unknown[]) => unknown;

export function createNativeKernels(opts: NativeKernelsOptions = {}): NativeKernels {
  const nt = Math.floor(opts.threads ?? availableParallelism());
  if (!(nt >= 1)) throw new Error(`threads must be a positive integer, got ${opts.threads}`);
  if (opts.isa !== undefined && !(NATIVE_ISAS as readonly string[]).includes(opts.isa)) {
    throw new Error(`unknown instruction set ${JSON.stringify(opts.isa)} (${NATIVE_ISAS.join(', ')})`);
  }
  const r = loadNative();
  if ('error' in r) throw new Error(`the native addon is not available: ${r.error}`);
  const h: NativeHandle = new r.addon.Native(nt, opts.isa ?? '');
  const m = (name: string): Fn => (h[name] as Fn).bind(h);
  let disposed = false;
  return {
    name: 'native',
    dtype: 'float32',
    threads: h.threads,
    isa: h.isa,
    tile: h.tile,
    approx: (fn, out, x, n) => h.approx(fn === 'exp' ? 0 : fn === 'sigmoid' ? 1 : 2, out, x, n),
    alloc: (n) => new Float32Array(n),
    allocI32: (n) => new Int32Array(n),
    dispose() {
      if (disposed) return;
      disposed = true;
      h.close(); // joins the threads; later calls run on the calling thread
    },
    fill: m('fill'),
    copy: m('copy'),
    axpy: m('axpy'),
    scale: m('scale'),
    mul: m('mul'),
    sumSq: m('sumSq') as NativeKernels['sumSq'],
    packedSize: m('packedSize') as NativeKernels['packedSize'],
    packRight: m('packRight'),
    mmPacked: m('mmPacked'),
    mm: m('mm'),
    mmNT: m('mmNT'),
    mmTN: m('mmTN'),
    rowsSet: m('rowsSet'),
    colSumAcc: m('colSumAcc'),
    gatherAdd: m('gatherAdd'),
    scatterAdd: m('scatterAdd'),
    lstmForward: m('lstmForward'),
    lstmBackward: m('lstmBackward'),
    gruForward: m('gruForward'),
    gruBackward: m('gruBackward'),
    rnnForward: m('rnnForward'),
    rnnBackward: m('rnnBackward'),
    layerNormForward: m('layerNormForward'),
    layerNormBackward: m('layerNormBackward'),
    lstmNormForward: m('lstmNormForward'),
    lstmNormBackward: m('lstmNormBackward'),
    softmaxXent: m('softmaxXent') as NativeKernels['softmaxXent'],
    adam: m('adam'),
    rmsprop: m('rmsprop'),
    sgd: m('sgd'),
  };
}
