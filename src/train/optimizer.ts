/**
 * Optimizers (Adam, AdamW, RMSprop, SGD with momentum) with PyTorch's update rules and defaults, and global-norm
 * gradient clipping (PyTorch's clip_grad_norm_). The arithmetic is the backend's fused kernels
 * (kernels.adam / rmsprop / sgd, and `scale` for AdamW's decay); this file owns the moment buffers (one flat
 * backend buffer each, same layout as the parameters), the step count and their serialisable state.
 *
 * AdamW (Loshchilov & Hutter, "Decoupled weight decay regularization"; PyTorch's torch.optim.AdamW): before the
 * Adam update, each decayed range of the parameters is multiplied by (1 − lr·λ), lr being this step's scheduled
 * rate; the gradient and the moments never see λ. Which tensors decay is the caller's (the model's layout:
 * model/layout.ts weightDecayRanges), given as ranges of the flat buffer.
 * Dimension legend: P number of parameters (one flat vector).
 */
import type { Kernels, Vec } from '../math/kernels.js';

export type OptimizerName = 'adam' | 'adamw' | 'rmsprop' | 'sgd';
export const OPTIMIZER_NAMES: readonly OptimizerName[] = ['adam', 'adamw', 'rmsprop', 'sgd'];
/** AdamW's decay when none is given: PyTorch's torch.optim.AdamW default. */
export const ADAMW_DEFAULT_DECAY = 0.01;

// The optimizers' own constants: not options of a run (no row of the TRAIN table, src/options.ts), PyTorch's
// defaults, which every run uses unless a caller of this class gives its own.
/** Adam's first-moment decay β1 (torch.optim.Adam) */
export const ADAM_BETA1 = 0.9;
/** Adam's second-moment decay β2 (torch.optim.Adam) */
export const ADAM_BETA2 = 0.999;
/** ε added to the root of the second moment, Adam and RMSprop (PyTorch's 1e-8) */
export const OPTIMIZER_EPS = 1e-8;
/** RMSprop's smoothing α (torch.optim.RMSprop) */
export const RMSPROP_ALPHA = 0.99;
/** SGD's momentum (torch.optim.SGD's own default is 0: plain SGD) */
export const SGD_MOMENTUM = 0.9;

/** A part of the flat parameter buffer, [offset, offset + length). */
export interface ParamRange {
  offset: number;
  length: number;
}

export interface OptimizerOptions {
  name: OptimizerName;
  /** Adam β1 (default ADAM_BETA1) */
  beta1?: number;
  /** Adam β2 (default ADAM_BETA2) */
  beta2?: number;
  /** ε for Adam and RMSprop (default OPTIMIZER_EPS) */
  eps?: number;
  /** RMSprop smoothing α (default RMSPROP_ALPHA) */
  alpha?: number;
  /** SGD momentum (default SGD_MOMENTUM; 0 = plain SGD) */
  momentum?: number;
  /** AdamW's decoupled weight decay λ (default 0; only adamw takes one) */
  weightDecay?: number;
}

/** Effective hyper-parameters (every default filled in). */
export interface OptimizerConfig {
  name: OptimizerName;
  beta1: number;
  beta2: number;
  eps: number;
  alpha: number;
  momentum: number;
  weightDecay: number;
}

/** Everything an exact resume needs. Buffers are copies (float32 or float64 like the backend). */
export interface OptimizerState {
  name: OptimizerName;
  /** updates taken so far (Adam's bias correction uses step + 1 for the next one) */
  step: number;
  /** PyTorch's names: adam exp_avg, exp_avg_sq; rmsprop square_avg; sgd momentum_buffer. Each (P), in the
   *  parameters' flat layout. */
  buffers: Record<string, Float32Array | Float64Array>;
}

export function resolveOptimizerConfig(o: OptimizerOptions): OptimizerConfig {
  if (!OPTIMIZER_NAMES.includes(o.name)) {
    throw new RangeError(`optimizer must be one of ${OPTIMIZER_NAMES.join(', ')}, got ${o.name}`);
  }
  const c: OptimizerConfig = {
    name: o.name,
    beta1: o.beta1 ?? ADAM_BETA1,
    beta2: o.beta2 ?? ADAM_BETA2,
    eps: o.eps ?? OPTIMIZER_EPS,
    alpha: o.alpha ?? RMSPROP_ALPHA,
    momentum: o.momentum ?? SGD_MOMENTUM,
    weightDecay: o.weightDecay ?? 0,
  };
  const in01 = (v: number, what: string) => {
    if (!(v >= 0 && v < 1)) throw new RangeError(`${what} must be in [0, 1), got ${v}`);
  };
  in01(c.beta1, 'Adam beta1');
  in01(c.beta2, 'Adam beta2');
  in01(c.alpha, 'RMSprop alpha');
  in01(c.momentum, 'SGD momentum');
  if (!(c.eps >= 0 && Number.isFinite(c.eps))) throw new RangeError(`eps must be a finite number >= 0, got ${c.eps}`);
  if (!(c.weightDecay >= 0 && Number.isFinite(c.weightDecay))) throw new RangeError(`weight decay must be a finite number >= 0, got ${c.weightDecay}`);
  // Adam's coupled L2 penalty (torch.optim.Adam's weight_decay) is not offered: decoupled decay is the one that
  // regularises Adam as intended (Loshchilov & Hutter), so a decay asks for adamw
  if (c.weightDecay > 0 && c.name !== 'adamw') throw new RangeError(`weight decay needs the adamw optimizer (decoupled decay), got ${c.name}`);
  return c;
}

/** Moment buffers per optimizer, under PyTorch's optimizer-state names (as checkpoints store them). */
export const OPTIMIZER_BUFFERS: Record<OptimizerName, readonly string[]> = {
  adam: ['exp_avg', 'exp_avg_sq'],
  adamw: ['exp_avg', 'exp_avg_sq'],
  rmsprop: ['square_avg'],
  sgd: ['momentum_buffer'],
};

export class Optimizer {
  readonly config: OptimizerConfig;
  readonly kernels: Kernels;
  /** P */
  readonly size: number;
  /** updates taken so far */
  step = 0;
  /** moment buffers by name, each (P) in the parameters' layout */
  readonly buffers: Record<string, Vec>;
  /** AdamW: the parts of the parameters that decay (the whole buffer unless the caller says) */
  readonly decayRanges: readonly ParamRange[];

  /** decayRanges: AdamW's decayed parts of the flat buffer (default: all of it); other optimizers ignore it. */
  constructor(kernels: Kernels, size: number, options: OptimizerOptions, decayRanges?: readonly ParamRange[]) {
    this.kernels = kernels;
    this.size = size;
    this.config = resolveOptimizerConfig(options);
    for (const r of decayRanges ?? []) {
      if (!(Number.isInteger(r.offset) && Number.isInteger(r.length) && r.offset >= 0 && r.length >= 0 && r.offset + r.length <= size)) {
        throw new RangeError(`weight-decay range [${r.offset}, +${r.length}) is outside the ${size} parameters`);
      }
    }
    this.decayRanges = decayRanges ?? [{ offset: 0, length: size }];
    this.buffers = {};
    for (const name of OPTIMIZER_BUFFERS[this.config.name]) this.buffers[name] = kernels.alloc(size);
  }

  /** One update of params (P) from grads (P), gradients multiplied by gScale first (clipping). */
  update(params: Vec, grads: Vec, lr: number, gScale = 1): void {
    const k = this.kernels, c = this.config, n = this.size, b = this.buffers;
    this.step++;
    switch (c.name) {
      case 'adamw':
        // decoupled decay first, as torch.optim.AdamW: p *= 1 − lr·λ, then the Adam update of the decayed p
        if (c.weightDecay > 0) {
          const f = 1 - lr * c.weightDecay;
          for (const r of this.decayRanges) k.scale(params.subarray(r.offset, r.offset + r.length), f, r.length);
        }
        k.adam(params, grads, b.exp_avg, b.exp_avg_sq, n, lr, c.beta1, c.beta2, c.eps, this.step, gScale);
        break;
      case 'adam':
        k.adam(params, grads, b.exp_avg, b.exp_avg_sq, n, lr, c.beta1, c.beta2, c.eps, this.step, gScale);
        break;
      case 'rmsprop':
        k.rmsprop(params, grads, b.square_avg, n, lr, c.alpha, c.eps, gScale);
        break;
      case 'sgd':
        k.sgd(params, grads, b.momentum_buffer, n, lr, c.momentum, gScale);
        break;
    }
  }

  exportState(): OptimizerState {
    const buffers: Record<string, Float32Array | Float64Array> = {};
    for (const [name, buf] of Object.entries(this.buffers)) buffers[name] = buf.slice(0, this.size);
    return { name: this.config.name, step: this.step, buffers };
  }

  importState(s: OptimizerState): void {
    if (s.name !== this.config.name) {
      throw new Error(`optimizer state is for ${s.name}, but the optimizer is ${this.config.name}`);
    }
    if (!Number.isInteger(s.step) || s.step < 0) throw new Error(`optimizer step count ${s.step} is invalid`);
    for (const name of OPTIMIZER_BUFFERS[this.config.name]) {
      const src = s.buffers[name];
      if (!src) throw new Error(`optimizer state lacks the ${name} buffer`);
      if (src.length !== this.size) {
        throw new Error(`optimizer ${name} buffer has ${src.length} values, the model has ${this.size} parameters`);
      }
      this.buffers[name].set(src);
    }
    this.step = s.step;
  }
}

/** Global gradient norm and the factor that clips it. */
export interface ClipResult {
  /** sqrt of the sum of squares of every gradient */
  norm: number;
  /** factor to multiply the gradients by: 1 when not clipped */
  scale: number;
}

/**
 * PyTorch's clip_grad_norm_(params, maxNorm): scale = min(1, maxNorm / (norm + 1e-6)).
 * maxNorm <= 0 or Infinity disables clipping (the norm is still computed, the guard and logs use it).
 */
export function clipScale(kernels: Kernels, grads: Vec, n: number, maxNorm: number): ClipResult {
  const norm = Math.sqrt(kernels.sumSq(grads, n));
  if (!(maxNorm > 0) || maxNorm === Infinity) return { norm, scale: 1 };
  return { norm, scale: Math.min(1, maxNorm / (norm + 1e-6)) };
}
