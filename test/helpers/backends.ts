/**
 * The backends every backend-generic test runs against. Adding a backend is one line here; `make` is async so a
 * backend that has to compile or load something (wasm) fits the same shape.
 */
import type { DType, Kernels } from '../../src/math/kernels.js';
import { createJsKernels } from '../../src/math/kernels-js.js';
import { createNaiveKernels } from '../../src/math/kernels-naive.js';
import { createWasmKernels } from '../../src/math/wasm/index.js';

export interface BackendEntry {
  /** label for test names, e.g. 'js/float32' */
  name: string;
  dtype: DType;
  /** A fresh instance; `threads` only for backends that split calls (default: the entry's usual count). */
  make(threads?: number): Promise<Kernels>;
  /** The backend splits calls across threads: the property tests draw the thread count (1 to 4). */
  threaded?: boolean;
}

/** Fast backends under test (compared against the naive float64 oracle). */
export const backends: BackendEntry[] = [
  { name: 'js/float32', dtype: 'float32', make: async () => createJsKernels('float32') },
  { name: 'js/float64', dtype: 'float64', make: async () => createJsKernels('float64') },
  // two threads so the work split runs in every test (results do not depend on the thread count); both builds:
  // relaxed SIMD (fused multiply-add, the default where the runtime has it) and plain SIMD128 (the fallback)
  { name: 'wasm/float32', dtype: 'float32', threaded: true, make: (threads = 2) => createWasmKernels({ threads }) },
  {
    name: 'wasm-simd128/float32',
    dtype: 'float32',
    threaded: true,
    make: (threads = 2) => createWasmKernels({ threads, relaxed: false }),
  },
];

/** The oracle itself, listed separately so tests that run on "every float64 backend" can include it. */
export const naiveBackend: BackendEntry = {
  name: 'naive/float64',
  dtype: 'float64',
  make: async () => createNaiveKernels('float64'),
};

/** Every float64 backend: the oracle and each fast backend's float64 build (gradient checks run on these). */
export const float64Backends: BackendEntry[] = [naiveBackend, ...backends.filter((b) => b.dtype === 'float64')];

/** The oracle and every fast backend (both precisions). */
export const allBackends: BackendEntry[] = [naiveBackend, ...backends];

/** Tolerance for comparing a backend's whole-model results with float64 maths: float32 rounding or float64. */
export function modelTol(dtype: DType): number {
  return dtype === 'float64' ? 1e-11 : 2e-5;
}
