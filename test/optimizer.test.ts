import { describe, expect, it } from 'vitest';
import { createNaiveKernels } from '../src/math/kernels-naive.js';
import { Rng } from '../src/math/rng.js';
import { Optimizer, clipScale, resolveOptimizerConfig, type OptimizerOptions } from '../src/train/optimizer.js';

/**
 * Hand-written float64 references, transcribed from PyTorch's single-tensor implementations
 * (torch/optim/adam.py, rmsprop.py, sgd.py; no weight decay, no amsgrad, no nesterov, no centering).
 */
function refAdam(p: number[], gs: number[][], lr: number, b1: number, b2: number, eps: number): number[] {
  const m = p.map(() => 0), v = p.map(() => 0);
  p = p.slice();
  gs.forEach((g, k) => {
    const step = k + 1;
    for (let i = 0; i < p.length; i++) {
      m[i] = m[i] * b1 + g[i] * (1 - b1); // exp_avg.lerp_(grad, 1 - beta1)
      v[i] = v[i] * b2 + g[i] * g[i] * (1 - b2); // exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
      const bc1 = 1 - b1 ** step, bc2 = 1 - b2 ** step;
      const stepSize = lr / bc1;
      const denom = Math.sqrt(v[i]) / Math.sqrt(bc2) + eps;
      p[i] -= stepSize * (m[i] / denom);
    }
  });
  return p;
}

function refRmsprop(p: number[], gs: number[][], lr: number, alpha: number, eps: number): number[] {
  const s = p.map(() => 0);
  p = p.slice();
  for (const g of gs) {
    for (let i = 0; i < p.length; i++) {
      s[i] = s[i] * alpha + (1 - alpha) * g[i] * g[i]; // square_avg.mul_(alpha).addcmul_(grad, grad, value=1-alpha)
      p[i] -= (lr * g[i]) / (Math.sqrt(s[i]) + eps); // param.addcdiv_(grad, square_avg.sqrt().add_(eps), value=-lr)
    }
  }
  return p;
}

function refSgd(p: number[], gs: number[][], lr: number, mu: number): number[] {
  let buf: number[] | null = null;
  p = p.slice();
  for (const g of gs) {
    // first step: buf = clone(grad); then buf = mu * buf + grad (dampening 0)
    buf = buf === null ? g.slice() : buf.map((b, i) => mu * b + g[i]);
    for (let i = 0; i < p.length; i++) p[i] -= lr * buf[i];
  }
  return p;
}

/** PyTorch's AdamW (torch/optim/adamw.py, single tensor): param.mul_(1 - lr * weight_decay), then Adam's update.
 *  lrs: each step's (scheduled) rate; decayed: which indices decay (the rest is plain Adam). */
function refAdamW(p: number[], gs: number[][], lrs: number[], wd: number, decayed: (i: number) => boolean): number[] {
  const m = p.map(() => 0), v = p.map(() => 0);
  const b1 = 0.9, b2 = 0.999, eps = 1e-8;
  p = p.slice();
  gs.forEach((g, k) => {
    const step = k + 1, lr = lrs[k];
    for (let i = 0; i < p.length; i++) {
      if (decayed(i)) p[i] *= 1 - lr * wd;
      m[i] = m[i] * b1 + g[i] * (1 - b1);
      v[i] = v[i] * b2 + g[i] * g[i] * (1 - b2);
      const denom = Math.sqrt(v[i]) / Math.sqrt(1 - b2 ** step) + eps;
      p[i] -= (lr / (1 - b1 ** step)) * (m[i] / denom);
    }
  });
  return p;
}

const P = 37;
function randomRun(seed: number, steps: number) {
  const rng = new Rng(seed);
  const p0 = Array.from({ length: P }, () => rng.normal());
  const gs = Array.from({ length: steps }, () => Array.from({ length: P }, () => rng.normal() * (rng.uniform() < 0.1 ? 5 : 0.3)));
  return { p0, gs };
}

function runOptimizer(dtype: 'float32' | 'float64', opts: OptimizerOptions, lr: number, p0: number[], gs: number[][], gScale = 1) {
  const k = createNaiveKernels(dtype);
  const opt = new Optimizer(k, P, opts);
  const p = k.alloc(P), g = k.alloc(P);
  p.set(p0);
  for (const gk of gs) {
    g.set(gk);
    opt.update(p, g, lr, gScale);
  }
  return { p: Array.from(p), opt };
}

function maxRelErr(a: number[], b: number[]): number {
  let e = 0;
  for (let i = 0; i < a.length; i++) e = Math.max(e, Math.abs(a[i] - b[i]) / Math.max(1e-3, Math.abs(b[i])));
  return e;
}

describe('optimizers match PyTorch update rules (float64 reference)', () => {
  const { p0, gs } = randomRun(7, 25);

  it('Adam with the defaults (b1 .9, b2 .999, eps 1e-8)', () => {
    const want = refAdam(p0, gs, 2e-3, 0.9, 0.999, 1e-8);
    expect(maxRelErr(runOptimizer('float64', { name: 'adam' }, 2e-3, p0, gs).p, want)).toBeLessThan(1e-12);
    expect(maxRelErr(runOptimizer('float32', { name: 'adam' }, 2e-3, p0, gs).p, want)).toBeLessThan(1e-5);
    // the params really moved (the test would fail for a no-op optimizer)
    expect(maxRelErr(p0, want)).toBeGreaterThan(1e-3);
  });

  it('Adam with other betas', () => {
    const want = refAdam(p0, gs, 1e-2, 0.8, 0.99, 1e-6);
    const got = runOptimizer('float64', { name: 'adam', beta1: 0.8, beta2: 0.99, eps: 1e-6 }, 1e-2, p0, gs).p;
    expect(maxRelErr(got, want)).toBeLessThan(1e-12);
  });

  it('RMSprop (alpha .99, eps 1e-8 by default)', () => {
    const want = refRmsprop(p0, gs, 1e-3, 0.99, 1e-8);
    expect(maxRelErr(runOptimizer('float64', { name: 'rmsprop' }, 1e-3, p0, gs).p, want)).toBeLessThan(1e-12);
    expect(maxRelErr(p0, want)).toBeGreaterThan(1e-3);
  });

  it('SGD with momentum and without', () => {
    const want = refSgd(p0, gs, 0.05, 0.9);
    expect(maxRelErr(runOptimizer('float64', { name: 'sgd' }, 0.05, p0, gs).p, want)).toBeLessThan(1e-12);
    const plain = refSgd(p0, gs, 0.05, 0);
    expect(maxRelErr(runOptimizer('float64', { name: 'sgd', momentum: 0 }, 0.05, p0, gs).p, plain)).toBeLessThan(1e-12);
  });

  it('gScale multiplies the gradients before the update', () => {
    const scaled = gs.map((g) => g.map((x) => x * 0.37));
    const want = refAdam(p0, scaled, 2e-3, 0.9, 0.999, 1e-8);
    expect(maxRelErr(runOptimizer('float64', { name: 'adam' }, 2e-3, p0, gs, 0.37).p, want)).toBeLessThan(1e-12);
  });

  it.each(['adam', 'adamw', 'rmsprop', 'sgd'] as const)('%s state export/import resumes exactly', (name) => {
    const o: OptimizerOptions = name === 'adamw' ? { name, weightDecay: 0.5 } : { name };
    const all = runOptimizer('float32', o, 1e-2, p0, gs).p;
    const first = runOptimizer('float32', o, 1e-2, p0, gs.slice(0, 10));
    const state = first.opt.exportState();
    const k = createNaiveKernels('float32');
    const opt = new Optimizer(k, P, o);
    opt.importState(state);
    const p = k.alloc(P), g = k.alloc(P);
    p.set(first.p);
    for (const gk of gs.slice(10)) {
      g.set(gk);
      opt.update(p, g, 1e-2);
    }
    expect(Array.from(p)).toEqual(all); // bit-identical
    expect(opt.step).toBe(gs.length);
  });

  describe('AdamW (decoupled weight decay)', () => {
    // a cosine-like schedule: the decay must use each step's own rate, not the base one
    const lrs = gs.map((_, k) => 1e-2 * (0.5 + 0.5 * Math.cos((Math.PI * k) / gs.length)));
    const ranges = [{ offset: 3, length: 10 }, { offset: 20, length: 5 }];
    const inRanges = (i: number) => ranges.some((r) => i >= r.offset && i < r.offset + r.length);
    const run = (dtype: 'float32' | 'float64', wd: number, rs?: typeof ranges) => {
      const k = createNaiveKernels(dtype);
      const opt = new Optimizer(k, P, { name: 'adamw', weightDecay: wd }, rs);
      const p = k.alloc(P), g = k.alloc(P);
      p.set(p0);
      gs.forEach((gk, s) => {
        g.set(gk);
        opt.update(p, g, lrs[s]);
      });
      return Array.from(p);
    };

    it('matches the float64 formula with the scheduled rate, on the given ranges only', () => {
      const want = refAdamW(p0, gs, lrs, 0.3, inRanges);
      expect(maxRelErr(run('float64', 0.3, ranges), want)).toBeLessThan(1e-12);
      expect(maxRelErr(run('float32', 0.3, ranges), want)).toBeLessThan(1e-5);
      // the decay really acted: plain Adam is far from it on the decayed indices
      const adam = refAdamW(p0, gs, lrs, 0, () => false);
      const idx = [...Array(P).keys()];
      expect(Math.max(...idx.filter(inRanges).map((i) => Math.abs(adam[i] - want[i])))).toBeGreaterThan(1e-3);
      // and nowhere else: outside the ranges AdamW is Adam, bit for bit in float64
      const got = run('float64', 0.3, ranges);
      for (const i of idx.filter((i) => !inRanges(i))) expect(got[i]).toBe(run('float64', 0, ranges)[i]);
    });

    it('decays the whole buffer without ranges; λ 0 is Adam bit for bit', () => {
      expect(maxRelErr(run('float64', 0.3), refAdamW(p0, gs, lrs, 0.3, () => true))).toBeLessThan(1e-12);
      const k = createNaiveKernels('float32');
      const adam = new Optimizer(k, P, { name: 'adam' });
      const p = k.alloc(P), g = k.alloc(P);
      p.set(p0);
      gs.forEach((gk, s) => {
        g.set(gk);
        adam.update(p, g, lrs[s]);
      });
      expect(run('float32', 0, ranges)).toEqual(Array.from(p));
    });

    it('refuses a decay for another optimizer, a negative decay and a range outside the buffer', () => {
      expect(() => resolveOptimizerConfig({ name: 'adam', weightDecay: 0.1 })).toThrow(/needs the adamw optimizer/);
      expect(() => resolveOptimizerConfig({ name: 'sgd', weightDecay: 0.1 })).toThrow(/needs the adamw optimizer/);
      expect(() => resolveOptimizerConfig({ name: 'adamw', weightDecay: -1 })).toThrow(/finite number >= 0/);
      expect(() => new Optimizer(createNaiveKernels('float32'), P, { name: 'adamw' }, [{ offset: 30, length: 8 }])).toThrow(/outside the 37/);
    });
  });

  it('importState refuses a mismatched state', () => {
    const k = createNaiveKernels('float32');
    const adam = new Optimizer(k, P, { name: 'adam' });
    expect(() => new Optimizer(k, P, { name: 'sgd' }).importState(adam.exportState())).toThrow(/for adam/);
    expect(() => new Optimizer(k, P + 1, { name: 'adam' }).importState(adam.exportState())).toThrow(/37 values/);
  });

  it('validates hyper-parameters', () => {
    expect(() => resolveOptimizerConfig({ name: 'adagrad' as 'adam' })).toThrow(/one of adam, adamw, rmsprop, sgd/);
    expect(() => resolveOptimizerConfig({ name: 'adam', beta1: 1 })).toThrow(/beta1/);
  });
});

describe('global-norm clipping (PyTorch clip_grad_norm_)', () => {
  const k = createNaiveKernels('float64');
  const g = k.alloc(4);
  g.set([3, 4, 0, 12]); // norm 13

  it('computes the global norm and scale = maxNorm / (norm + 1e-6) above the limit', () => {
    const r = clipScale(k, g, 4, 5);
    expect(r.norm).toBe(13);
    expect(r.scale).toBe(5 / (13 + 1e-6));
    // the clipped gradient has norm just under 5
    expect(Math.sqrt(r.scale ** 2 * 169)).toBeCloseTo(5, 5);
  });

  it('leaves gradients under the limit alone, and 0 disables clipping', () => {
    expect(clipScale(k, g, 4, 20).scale).toBe(1);
    expect(clipScale(k, g, 4, 0)).toEqual({ norm: 13, scale: 1 });
  });

  it('PyTorch also scales (by slightly under 1) when the norm sits just under the limit', () => {
    // clip_coef = 13 / (13 + 1e-6) < 1, clamped coefficient still applied
    const r = clipScale(k, g, 4, 13);
    expect(r.scale).toBe(13 / (13 + 1e-6));
    expect(r.scale).toBeLessThan(1);
  });

  it('reports a NaN norm so the trainer can stop', () => {
    const bad = k.alloc(2);
    bad.set([1, NaN]);
    expect(Number.isNaN(clipScale(k, bad, 2, 5).norm)).toBe(true);
  });
});
