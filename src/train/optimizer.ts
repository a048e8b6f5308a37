/**
 * Optimizers (Adam, RMSprop, SGD with momentum) with PyTorch's update rules and defaults, and global-norm
 * gradient clipping (PyTorch's clip_grad_norm_). The arithmetic is the backend's fused kernels
 * (kernels.adam / rmsprop / sgd); this file owns the moment buffers (one flat backend buffer each, same layout
 * as the parameters), the step count and their serialisable state.
 * Dimension legend: P number of parameters (one flat vector).
 */
import type { Kernels, Vec } from '../math/kernels.js';

export type OptimizerName = 'adam' | 'rmsprop' | 'sgd';
export const OPTIMIZER_NAMES: readonly OptimizerName[] = ['adam', 'rmsprop', 'sgd'];

export interface OptimizerOptions {
  name: OptimizerName;
  /** Adam β1 (default 0.9) */
  beta1?: number;
  /** Adam β2 (default 0.999) */
  beta2?: number;
  /** ε for Adam and RMSprop (default 1e-8 as PyTorch) */
  eps?: number;
  /** RMSprop smoothing α (default 0.99 as PyTorch) */
  alpha?: number;
  /** SGD momentum (default 0.9; 0 = plain SGD) */
  momentum?: number;
}

/** Effective hyper-parameters (every default filled in). */
export interface OptimizerConfig {
  name: OptimizerName;
  beta1: number;
  beta2: number;
  eps: number;
  alpha: number;
  momentum: number;
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
    beta1: o.beta1 ?? 0.9,
    beta2: o.beta2 ?? 0.999,
    eps: o.eps ?? 1e-8,
    alpha: o.alpha ?? 0.99,
    momentum: o.momentum ?? 0.9,
  };
  const in01 = (v: number, what: string) => {
    if (!(v >= 0 && v < 1)) throw new RangeError(`${what} must be in [0, 1), got ${v}`);
  };
  in01(c.beta1, 'Adam beta1');
  in01(c.beta2, 'Adam beta2');
  in01(c.alpha, 'RMSprop alpha');
  in01(c.momentum, 'SGD momentum');
  if (!(c.eps >= 0 && Number.isFinite(c.eps))) throw new RangeError(`eps must be a finite number >= 0, got ${c.eps}`);
  return c;
}

/** Moment buffers per optimizer, under PyTorch's optimizer-state names (as checkpoints store them). */
export const OPTIMIZER_BUFFERS: Record<OptimizerName, readonly string[]> = {
  adam: ['exp_avg', 'exp_avg_sq'],
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

  constructor(kernels: Kernels, size: number, options: OptimizerOptions) {
    this.kernels = kernels;
    this.size = size;
    this.config = resolveOptimizerConfig(options);
    this.buffers = {};
    for (const name of OPTIMIZER_BUFFERS[this.config.name]) this.buffers[name] = kernels.alloc(size);
  }

  /** One update of params (P) from grads (P), gradients multiplied by gScale first (clipping). */
  update(params: Vec, grads: Vec, lr: number, gScale = 1): void {
    const k = this.kernels, c = this.config, n = this.size, b = this.buffers;
    this.step++;
    switch (c.name) {
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
