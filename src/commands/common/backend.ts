/**
 * The backend a command runs. The default (`--backend` not given) is native where its addon loads; where it does
 * not (no compiler at install, another platform), wasm runs instead and charnn says so once, with the reason. Only
 * an explicit `--backend native` that cannot load is an error. CHARNN_NATIVE_ISA (avx512, avx2, portable) forces
 * the native backend's instruction set, for testing each path on one machine. Nothing is loaded before a command
 * asks for a backend.
 */
import { attempt } from '../../errors.js';
import { createKernels, type BackendOptions } from '../../math/backend.js';
import type { Kernels } from '../../math/kernels.js';
import { nativeUnavailable } from '../../math/native/load.js';
import { relaxedFor, type SimdMode } from '../../options.js';
import type { Io } from '../io.js';

let told = false;

/** `name`, except native when it was not asked for explicitly (the default, a checkpoint's saved choice) and cannot
 *  load: wasm. Whenever wasm runs by default because native cannot load, one warning says why. */
export function chooseBackend(name: string, explicit: boolean, io: Pick<Io, 'warn'>): string {
  if (explicit || (name !== 'native' && name !== 'wasm')) return name;
  const why = nativeUnavailable();
  if (why === null) return name;
  if (!told) io.warn(`running on the wasm backend: the native one did not load (${why}; \`npm rebuild charnn\` builds it)`);
  told = true;
  return 'wasm';
}

/** The factory's options for a command's --threads and --simd (and the environment's native ISA). */
function backendOptions(o: { threads: number; simd: SimdMode }, env: Io['env']): BackendOptions {
  const isa = env.CHARNN_NATIVE_ISA;
  return { threads: o.threads, relaxed: relaxedFor(o.simd), ...(isa ? { isa } : {}) };
}

/** The backend options of a command (its --backend, --threads, --simd), started: the chosen name is written back
 *  into `o.backend` (a training run records it). */
export async function startBackend(o: { backend: string; threads: number; simd: SimdMode }, explicit: boolean, io: Pick<Io, 'warn' | 'env'>): Promise<Kernels> {
  o.backend = chooseBackend(o.backend, explicit, io);
  return attempt(`cannot start the ${o.backend} backend`, () => createKernels(o.backend, backendOptions(o, io.env)));
}
