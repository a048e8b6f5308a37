/**
 * Backend factory: the one place that maps a backend name (the CLI's and the bench's --backend) to a Kernels
 * implementation. Async because a WebAssembly backend compiles its module and may start worker threads.
 * Backends are imported lazily so choosing one never loads the others.
 * Adding a backend (e.g. 'wasm'): add its name to BACKEND_NAMES and a case below; the CLI's and the bench's
 * --backend accept every name listed.
 */
import type { DType, Kernels } from './kernels.js';

export const BACKEND_NAMES = ['js', 'naive', 'wasm', 'native'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

export interface BackendOptions {
  /** float32 for training (default); float64 only where a backend supports it (naive) */
  dtype?: DType;
  /** worker threads for backends that can split calls (ignored by single-threaded ones) */
  threads?: number;
  /** wasm: relaxed-SIMD fused multiply-add; true requires it, false never, unset: where the runtime can (Node 20: a V8 flag) */
  relaxed?: boolean;
  /** native: instruction set (avx512, avx2, portable); unset: the best this CPU has */
  isa?: string;
}

export async function createKernels(name: string, opts: BackendOptions = {}): Promise<Kernels> {
  switch (name) {
    case 'js': {
      const { createJsKernels } = await import('./kernels-js.js');
      return createJsKernels(opts.dtype ?? 'float32');
    }
    case 'naive': {
      const { createNaiveKernels } = await import('./kernels-naive.js');
      return createNaiveKernels(opts.dtype ?? 'float32');
    }
    case 'wasm': {
      if (opts.dtype === 'float64') throw new Error('the wasm backend is float32 only (use --backend js for float64)');
      const { createWasmKernels } = await import('./wasm/index.js');
      return createWasmKernels({
        ...(opts.threads !== undefined ? { threads: opts.threads } : {}),
        ...(opts.relaxed !== undefined ? { relaxed: opts.relaxed } : {}),
      });
    }
    case 'native': {
      if (opts.dtype === 'float64') throw new Error('the native backend is float32 only (use --backend js for float64)');
      const { createNativeKernels } = await import('./native/index.js');
      return createNativeKernels({
        ...(opts.threads !== undefined ? { threads: opts.threads } : {}),
        ...(opts.isa ? { isa: opts.isa as 'avx512' } : {}),
      });
    }
    default:
      throw new Error(`unknown backend ${JSON.stringify(name)} (available: ${BACKEND_NAMES.join(', ')})`);
  }
}
