/** The charnn library API. Never imports cli/. */
export type { Kernels, Vec, DType } from './math/kernels.js';
export { createNaiveKernels } from './math/kernels-naive.js';
export { createJsKernels } from './math/kernels-js.js';
export { Rng } from './math/rng.js';
export type { RngState } from './math/rng.js';
export * from './model/config.js';
