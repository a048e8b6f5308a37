/**
 * AssemblyScript entry of the WebAssembly SIMD kernels (built by scripts/build-wasm.mjs, loaded by
 * ../index.ts). The module owns no memory of its own: it imports one shared WebAssembly.Memory, and every
 * pointer argument is a byte offset into it. Every kernel takes (t, nt) first and computes thread t's share.
 */
export { initConstants } from './simd';
export { mm, mmNT, mmTN, setScratch, SCRATCH_BYTES } from './gemm';
export { lstmForward, lstmBackward, gruForward, gruBackward, rnnForward, rnnBackward } from './cells';
export {
  fill, copy, axpy, scale, mul, sumSqChunks, sumF64, colSumAcc, rowsSet, gatherAdd, scatterAdd, softmaxXent,
  adam, rmsprop, sgd, approx, SUMSQ_CHUNK, XENT_CHUNK,
} from './vector';
