/**
 * The kernel interface: every numeric inner loop of charnn sits behind it, so a backend (plain TypeScript,
 * the naive test oracle, WebAssembly SIMD on worker threads) can change without touching model code.
 *
 * Conventions (all backends):
 * - Outputs first, then inputs, then sizes. Row-major, dense, no strides.
 * - Kernels never allocate. Every array passed to a kernel was obtained from the same backend's `alloc*`
 *   (a wasm backend hands out views of its own memory, so calls copy nothing). Sub-views made with
 *   `subarray` of such arrays are fine.
 * - `acc` true means `out +=`, false means `out =`. Backward kernels that say "accumulates" always add.
 * - Kernels are synchronous; a backend may split large calls across threads internally, but a call has
 *   finished (and its results are visible) when it returns.
 * - Unless a kernel says "may alias", outputs must not overlap inputs.
 *
 * Dimension legend: M, K, N matrix sizes; B batch rows (streams); H hidden size; V vocabulary; R table rows.
 * Gate layouts follow PyTorch: LSTM pre-activations (B, 4H) in blocks [i | f | g | o];
 * GRU (B, 3H) in blocks [r | z | n].
 */

/** A backend's float array: float32 for speed, float64 for gradient checks. */
export type Vec = Float32Array | Float64Array;

export type DType = 'float32' | 'float64';

export interface Kernels<F extends Vec = Vec> {
  /** Backend name as the CLI shows it: 'js', 'naive', 'wasm'. */
  readonly name: string;
  readonly dtype: DType;
  /** Worker threads a call may use (1 = single-threaded). */
  readonly threads: number;

  /** A zeroed float array of n elements owned by this backend; valid until `dispose`. */
  alloc(n: number): F;
  /** A zeroed int32 array of n elements owned by this backend (token ids). */
  allocI32(n: number): Int32Array;
  /** Release workers and memory. Arrays handed out become invalid. */
  dispose(): void;

  // ---- elementwise / reductions ------------------------------------------------------------------------

  /** out[0..n) = value */
  fill(out: F, value: number, n: number): void;
  /** out[0..n) = src[0..n) */
  copy(out: F, src: F, n: number): void;
  /** y[0..n) += alpha * x[0..n) */
  axpy(y: F, alpha: number, x: F, n: number): void;
  /** x[0..n) *= alpha */
  scale(x: F, alpha: number, n: number): void;
  /** out[0..n) = a[0..n) * b[0..n); out may alias a. */
  mul(out: F, a: F, b: F, n: number): void;
  /** sum of x[i]^2 over [0..n), accumulated in float64. */
  sumSq(x: F, n: number): number;

  // ---- matrix products ---------------------------------------------------------------------------------

  /** out (M,N) [+]= a (M,K) · b (K,N) */
  mm(out: F, a: F, b: F, M: number, K: number, N: number, acc: boolean): void;
  /** out (M,N) [+]= a (M,K) · bᵀ, where b is (N,K) */
  mmNT(out: F, a: F, b: F, M: number, K: number, N: number, acc: boolean): void;
  /** out (M,N) [+]= aᵀ · b, where a is (K,M) and b is (K,N) */
  mmTN(out: F, a: F, b: F, M: number, K: number, N: number, acc: boolean): void;

  /**
   * A right operand packed once for many products with it (the recurrent weights over a window: one pack, T
   * products). packedSize(K, N): floats of the packed form of a (K,N) operand on this backend.
   * packRight(dst, b, K, N, bT): dst (packedSize(K, N)) = b (K,N), or bᵀ where b is stored (N,K) when bT.
   * A snapshot: writes to b after packRight are not seen, so callers pack right before their products and
   * never keep a packed operand across a change of b (the layers pack at the start of every forward and
   * backward). Backends without a packed layout store a copy of b.
   * mmPacked(out, a, packed, M, K, N, bT, acc): out (M,N) [+]= a (M,K) · the packed operand, the same as
   * mm (mmNT when bT) with b as packRight saw it; K, N and bT as given to packRight (the native backend checks).
   */
  packedSize(K: number, N: number): number;
  packRight(dst: F, b: F, K: number, N: number, bT: boolean): void;
  mmPacked(out: F, a: F, packed: F, M: number, K: number, N: number, bT: boolean, acc: boolean): void;

  /** out (M,N) = bias (N) copied into every row */
  rowsSet(out: F, bias: F, M: number, N: number): void;
  /** out (N) += column sums of a (M,N)   (bias gradients; accumulates) */
  colSumAcc(out: F, a: F, M: number, N: number): void;
  /** out (M,N) += table[ids[m]] for each row m; table is (R,N)   (one-hot input · W as a row gather) */
  gatherAdd(out: F, table: F, ids: Int32Array, M: number, N: number): void;
  /** table[ids[m]] += d[m] for each row m; d is (M,N)   (backward of gatherAdd; accumulates) */
  scatterAdd(table: F, d: F, ids: Int32Array, M: number, N: number): void;

  // ---- fused recurrent cells, one time step ---------------------------------------------------------------

  /**
   * LSTM step forward. pre (B,4H): x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh in blocks [i|f|g|o].
   * Writes act (B,4H) = [σ(i) | σ(f) | tanh(g) | σ(o)], c (B,H) = f·cPrev + i·g, h (B,H) = o·tanh(c).
   * act may alias pre.
   */
  lstmForward(h: F, c: F, act: F, pre: F, cPrev: F, B: number, H: number): void;
  /**
   * LSTM step backward. dh (B,H): total gradient into h_t; dc (B,H): gradient into c_t from step t+1.
   * Writes dpre (B,4H) (overwrite) and dcPrev (B,H) (overwrite; may alias dc).
   */
  lstmBackward(dpre: F, dcPrev: F, dh: F, dc: F, act: F, c: F, cPrev: F, B: number, H: number): void;

  /**
   * GRU step forward (PyTorch's equations). gi (B,3H) = x·W_ihᵀ + b_ih; gh (B,3H) = h·W_hhᵀ + b_hh.
   * r = σ(gi_r + gh_r), z = σ(gi_z + gh_z), n = tanh(gi_n + r·gh_n), h = (1 − z)·n + z·hPrev.
   * Writes act (B,3H) = [r | z | n] and h (B,H).
   */
  gruForward(h: F, act: F, gi: F, gh: F, hPrev: F, B: number, H: number): void;
  /**
   * GRU step backward. dh (B,H): total gradient into h_t.
   * Writes dgi (B,3H), dgh (B,3H) (overwrite) and dhPrev (B,H) = dh·z (overwrite; the recurrent product
   * dgh·W_hh is added by the caller).
   */
  gruBackward(dgi: F, dgh: F, dhPrev: F, dh: F, act: F, gh: F, hPrev: F, B: number, H: number): void;

  /** Elman RNN step forward: h (B,H) = tanh(pre (B,H)). h may alias pre. */
  rnnForward(h: F, pre: F, B: number, H: number): void;
  /** Elman RNN step backward: dpre (B,H) = dh·(1 − h²) (overwrite; may alias dh). */
  rnnBackward(dpre: F, dh: F, h: F, B: number, H: number): void;

  // ---- layer normalisation (--layer-norm) -------------------------------------------------------------------

  /**
   * Layer norm over each row of x (M,N): y = (x − mean)/sqrt(var + 1e-5)·gain (N) + bias (N), var the biased
   * (1/N) variance as in PyTorch. Writes y (M,N), mean (M), rstd (M) = 1/sqrt(var + 1e-5). y may alias x.
   */
  layerNormForward(y: F, mean: F, rstd: F, x: F, gain: F, bias: F, M: number, N: number): void;
  /**
   * Backward of layerNormForward (x, mean, rstd as it saw or wrote them). Writes dx (M,N) (overwrite; may alias
   * dy or x); accumulates dgain (N) += Σ dy·x̂ and dbias (N) += Σ dy over the rows, where x̂ = (x − mean)·rstd.
   */
  layerNormBackward(dx: F, dgain: F, dbias: F, dy: F, x: F, mean: F, rstd: F, gain: F, M: number, N: number): void;
  /** LSTM output on a normalised cell: h (B,H) = act_o·tanh(cn (B,H)), act (B,4H) as lstmForward wrote it. */
  lstmNormForward(h: F, act: F, cn: F, B: number, H: number): void;
  /** Backward of lstmNormForward into the cell: dcn (B,H) = dh·act_o·(1 − tanh²(cn)) (overwrite; may alias dh). */
  lstmNormBackward(dcn: F, dh: F, act: F, cn: F, B: number, H: number): void;

  // ---- loss -------------------------------------------------------------------------------------------------

  /**
   * Softmax cross-entropy over rows of logits (M,V) with targets (M).
   * Writes dlogits (M,V) = (softmax − onehot) · gradScale (overwrite; may alias logits).
   * Returns the summed loss in nats (not the mean), accumulated in float64.
   */
  softmaxXent(dlogits: F, logits: F, targets: Int32Array, M: number, V: number, gradScale: number): number;

  // ---- optimizers (fused, in place) --------------------------------------------------------------------------

  /**
   * Adam: m = b1·m + (1−b1)·g; v = b2·v + (1−b2)·g²; p −= lr · (m / (1−b1^t)) / (sqrt(v / (1−b2^t)) + eps).
   * `t` is the 1-based step count used for bias correction. Gradients are multiplied by gScale first
   * (global-norm clipping folds in here).
   */
  adam(p: F, g: F, m: F, v: F, n: number, lr: number, b1: number, b2: number, eps: number, t: number, gScale: number): void;
  /** RMSprop (PyTorch's, no momentum): s = a·s + (1−a)·g²; p −= lr · g / (sqrt(s) + eps). g scaled by gScale. */
  rmsprop(p: F, g: F, s: F, n: number, lr: number, alpha: number, eps: number, gScale: number): void;
  /** SGD with momentum (PyTorch's): buf = mu·buf + g; p −= lr · buf. g scaled by gScale. */
  sgd(p: F, g: F, buf: F, n: number, lr: number, momentum: number, gScale: number): void;
}

/** The packed-operand kernels of a backend without a packed layout: the packed operand is a copy of b, and
 *  mmPacked is mm or mmNT on it (so results are bit-identical to the unpacked products). */
export function plainPacking<F extends Vec>(self: () => Kernels<F>): Pick<Kernels<F>, 'packedSize' | 'packRight' | 'mmPacked'> {
  return {
    packedSize: (K, N) => K * N,
    packRight: (dst, b, K, N) => self().copy(dst, b, K * N),
    mmPacked: (out, a, packed, M, K, N, bT, acc) =>
      bT ? self().mmNT(out, a, packed, M, K, N, acc) : self().mm(out, a, packed, M, K, N, acc),
  };
}
