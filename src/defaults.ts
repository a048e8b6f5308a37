/**
 * The defaults the command line and the library share, in one place outside cli/ (the library must not import
 * cli/). The CLI's defaults table (src/cli/options.ts) takes these values for its rows, so `charnn sample` and
 * `loadModel(...).sample()` start from the same settings; every other default lives in that table alone.
 */
import { availableParallelism } from 'node:os';
import { BACKEND_NAMES } from './math/backend.js';

/** The backend used when none is chosen: the fastest one this build has. */
export const DEFAULT_BACKEND: string = (['wasm', 'js', 'naive'] as const).find((b) => (BACKEND_NAMES as readonly string[]).includes(b)) ?? 'naive';

/** Worker threads: every core the machine offers (large products split across them; small ones stay on the
 *  calling thread, so extra threads never slow a step down). */
export const DEFAULT_THREADS = Math.max(1, availableParallelism());

/** wasm builds: auto = relaxed SIMD (fused multiply-add) where the runtime can run it, else SIMD128. */
export const SIMD_MODES = ['auto', 'relaxed', 'simd128'] as const;
export type SimdMode = (typeof SIMD_MODES)[number];

/** The backend factory's `relaxed` option for a --simd value. */
export function relaxedFor(mode: SimdMode): boolean | undefined {
  return mode === 'auto' ? undefined : mode === 'relaxed';
}

/** Sampling: `charnn sample`'s --temp, --top-k, --top-p, --length. */
export const SAMPLE_DEFAULTS = {
  /** 0.8: fluent with some variety (README, "Temperature") */
  temp: 0.8,
  /** 0: off */
  topK: 0,
  /** 1: off */
  topP: 1,
  /** characters of text, prime included */
  length: 1000,
} as const;
