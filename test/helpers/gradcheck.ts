/**
 * Gradient checking by finite differences in float64.
 *
 * The numeric derivative uses the fourth-order central stencil
 *   f'(x) ≈ (f(x−2h) − 8 f(x−h) + 8 f(x+h) − f(x+2h)) / (12 h)
 * whose truncation error O(h⁴) stays ~1e-13 at h = 1e-3 while the rounding error, ~18·ε·|f| / (12h), is ~5e-13
 * for O(1) losses (at h = 1e-4 rounding would be ten times larger). So a relative error
 * |a − n| / max(|a|, |n|, tiny) below 1e-6 is a sharp test (measured worst on the model checks: ~5e-8), with
 * tiny = 1e-5 keeping elements whose true gradient is ~0 from dividing rounding noise by nothing.
 */
import type { Vec } from '../../src/math/kernels.js';

const GRAD_H = 1e-3;
const GRAD_TINY = 1e-5;

export function relErr(a: number, n: number, tiny = GRAD_TINY): number {
  return Math.abs(a - n) / Math.max(Math.abs(a), Math.abs(n), tiny);
}

/** d f / d buf[i] numerically; f reads buf. buf[i] is restored exactly afterwards. */
export function numericDerivative(f: () => number, buf: Vec, i: number, h = GRAD_H): number {
  const x = buf[i];
  const at = (v: number): number => {
    buf[i] = v;
    return f();
  };
  const d = (at(x - 2 * h) - 8 * at(x - h) + 8 * at(x + h) - at(x + 2 * h)) / (12 * h);
  buf[i] = x;
  return d;
}

export interface GradReport {
  /** worst relative error over the checked elements */
  worst: number;
  /** index of the worst element, its analytic and numeric values */
  at: number;
  analytic: number;
  numeric: number;
  /** largest |numeric| seen: shows the check was not vacuous */
  maxAbs: number;
  checked: number;
}

/** Compare analytic[i] with the numeric derivative of f w.r.t. buf[i] for every i in [from, to). */
export function checkRange(f: () => number, buf: Vec, analytic: ArrayLike<number>, from: number, to: number): GradReport {
  const r: GradReport = { worst: 0, at: -1, analytic: 0, numeric: 0, maxAbs: 0, checked: 0 };
  for (let i = from; i < to; i++) {
    const n = numericDerivative(f, buf, i);
    const a = analytic[i];
    const e = relErr(a, n);
    r.maxAbs = Math.max(r.maxAbs, Math.abs(n));
    r.checked++;
    if (e > r.worst || Number.isNaN(e)) Object.assign(r, { worst: Number.isNaN(e) ? Infinity : e, at: i, analytic: a, numeric: n });
  }
  return r;
}

export function describeReport(name: string, r: GradReport): string {
  return `${name}: worst relative error ${r.worst.toExponential(2)} at element ${r.at} ` +
    `(analytic ${r.analytic}, numeric ${r.numeric}), ${r.checked} elements, max |grad| ${r.maxAbs.toExponential(2)}`;
}
