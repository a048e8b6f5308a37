/**
 * Loads the native addon once per process: the prebuilt binary shipped in prebuilds/<platform>-<arch>/ or the one
 * `npm install` built into build/Release/ (node-gyp-build looks in both). Never throws: a missing or broken build
 * is a reason string, so callers can fall back to wasm and say why.
 */
import { createRequire } from 'node:module';

/** The addon's exports (native/src/addon.cc). */
export interface NativeAddon {
  /** Instruction sets this CPU runs, best first: 'avx512, avx2, portable'. */
  supported: string;
  Native: new (threads: number, isa: string) => NativeHandle;
}

/** One native backend instance: kernels.ts's methods on Float32Array / Int32Array, plus these. */
export interface NativeHandle {
  readonly isa: 'avx512' | 'avx2' | 'portable';
  readonly threads: number;
  /** register tile of the products, rows x columns: '12x32' */
  readonly tile: string;
  close(): void;
  approx(fn: number, out: Float32Array, x: Float32Array, n: number): void;
  [kernel: string]: unknown;
}

let loaded: { addon: NativeAddon } | { error: string } | undefined;

export function loadNative(): { addon: NativeAddon } | { error: string } {
  if (loaded) return loaded;
  try {
    const require = createRequire(import.meta.url);
    const nodeGypBuild = require('node-gyp-build') as (dir: string) => NativeAddon;
    // the package root: the same three levels up from src/math/native/ and dist/math/native/
    const root = new URL('../../../', import.meta.url).pathname;
    const addon = nodeGypBuild(decodeURIComponent(root));
    if (typeof addon?.Native !== 'function') throw new Error('the addon does not export Native');
    loaded = { addon };
  } catch (e) {
    const first = String((e as Error)?.message ?? e).split('\n')[0].trim();
    loaded = { error: first || 'the native addon did not load' };
  }
  return loaded;
}

/** Why the native backend cannot run here, or null when it can. */
export function nativeUnavailable(): string | null {
  const r = loadNative();
  return 'error' in r ? r.error : null;
}
