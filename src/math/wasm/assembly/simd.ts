/**
 * SIMD helpers shared by every kernel: multiply-add (fused when built with relaxed SIMD), partial loads and
 * stores for row tails, and the vector transcendentals exp, sigmoid and tanh.
 *
 * The approximations follow Cephes (expf, tanhf): about 1 to 2 ulp in float32, measured against Math.exp and
 * Math.tanh in test/wasm-math.test.ts. They are branch-free so four lanes cost the same as one.
 */

/** c + a·b lane-wise; a single rounding when the relaxed-SIMD build maps it to FMA. */
// @ts-ignore: decorator
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

/** Scalar c + a·b with the same rounding as one lane of `madd`, so tail elements match vector elements. */
// @ts-ignore: decorator
@inline export function maddS(a: f32, b: f32, c: f32): f32 {
  if (ASC_FEATURE_RELAXED_SIMD) {
    return f32x4.extract_lane(f32x4.relaxed_madd(f32x4.splat(a), f32x4.splat(b), f32x4.splat(c)), 0);
  }
  return c + a * b;
}

/** Load n (1..4) floats; missing lanes are zero. */
// @ts-ignore: decorator
@inline export function ldp(p: usize, n: i32): v128 {
  if (n >= 4) return v128.load(p);
  let v = f32x4.splat(0);
  v = f32x4.replace_lane(v, 0, load<f32>(p));
  if (n > 1) v = f32x4.replace_lane(v, 1, load<f32>(p, 4));
  if (n > 2) v = f32x4.replace_lane(v, 2, load<f32>(p, 8));
  return v;
}

/** Store the first n (1..4) lanes of v. */
// @ts-ignore: decorator
@inline export function stp(p: usize, v: v128, n: i32): void {
  if (n >= 4) {
    v128.store(p, v);
    return;
  }
  store<f32>(p, f32x4.extract_lane(v, 0));
  if (n > 1) store<f32>(p, f32x4.extract_lane(v, 1), 4);
  if (n > 2) store<f32>(p, f32x4.extract_lane(v, 2), 8);
}

/** Sum of the four lanes in a fixed order: (l0 + l2) + (l1 + l3). */
// @ts-ignore: decorator
@inline export function hsum(v: v128): f32 {
  const s = f32x4.add(v, f32x4.shuffle(v, v, 2, 3, 0, 1));
  return f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1);
}

// ---- constants in memory ---------------------------------------------------------------------------------
// V8 materialises each v128.const with three instructions inside loops; a constant loaded from memory folds
// into the arithmetic instruction as an operand instead. The table lives below the allocator's heap base and
// is written once by initConstants() (all threads share the memory).

const CB: usize = 1024;
const C_HALF = 0, C_ONE = 1, C_TANH_CLAMP = 2, C_TANH_NCLAMP = 3;
const C_A13 = 4, C_A11 = 5, C_A9 = 6, C_A7 = 7, C_A5 = 8, C_A3 = 9, C_A1 = 10;
const C_B6 = 11, C_B4 = 12, C_B2 = 13, C_B0 = 14;
const C_EXP_HI = 15, C_EXP_LO = 16, C_LOG2E = 17, C_MAGIC = 18, C_LN2_HI = 19, C_LN2_LO = 20;
const C_P0 = 21, C_P1 = 22, C_P2 = 23, C_P3 = 24, C_P4 = 25, C_P5 = 26, C_BIAS = 27;

// @ts-ignore: decorator
@inline export function K(i: i32): v128 {
  return v128.load(CB + (<usize>i << 4));
}

function setK(i: i32, v: f32): void {
  v128.store(CB + (<usize>i << 4), f32x4.splat(v));
}

/** Writes the constant table; call once after instantiating on a fresh memory. */
export function initConstants(): void {
  setK(C_HALF, 0.5); setK(C_ONE, 1.0);
  // tanh: x·P(x²)/Q(x²) on [−7.905, 7.905] (Eigen's float rational; beyond, tanh rounds to ±1 within 4e-7)
  setK(C_TANH_CLAMP, 7.90531110763549805); setK(C_TANH_NCLAMP, -7.90531110763549805);
  setK(C_A13, -2.76076847742355e-16); setK(C_A11, 2.00018790482477e-13); setK(C_A9, -8.60467152213735e-11);
  setK(C_A7, 5.12229709037114e-08); setK(C_A5, 1.48572235717979e-05); setK(C_A3, 6.37261928875436e-04);
  setK(C_A1, 4.89352455891786e-03);
  setK(C_B6, 1.19825839466702e-06); setK(C_B4, 1.18534705686654e-04); setK(C_B2, 2.26843463243900e-03);
  setK(C_B0, 4.89352518554385e-03);
  // exp (Cephes expf)
  setK(C_EXP_HI, 88.0); setK(C_EXP_LO, -87.33654); setK(C_LOG2E, 1.44269504088896341);
  setK(C_MAGIC, 12582912.0); // 1.5·2^23: adding it rounds to an integer held in the low mantissa bits
  setK(C_LN2_HI, 0.693359375); setK(C_LN2_LO, -2.12194440e-4);
  setK(C_P0, 1.9875691500e-4); setK(C_P1, 1.3981999507e-3); setK(C_P2, 8.3334519073e-3);
  setK(C_P3, 4.1665795894e-2); setK(C_P4, 1.6666665459e-1); setK(C_P5, 5.0000001201e-1);
  v128.store(CB + (<usize>C_BIAS << 4), i32x4.splat(0x4b400000 - 127)); // magic's bits minus the exponent bias
}

// ---- exp (Cephes expf): e^x = 2^n · e^r, |r| <= ln2/2, degree-5 polynomial for e^r -----------------------

/** e^x for each lane. Inputs are clamped to [−87.3, 88]: results stay finite and normal; NaN stays NaN. */
// @ts-ignore: decorator
@inline export function exp4(x: v128): v128 {
  x = f32x4.pmin(f32x4.pmax(x, K(C_EXP_LO)), K(C_EXP_HI));
  // n = round(x·log2 e) through the magic constant; its bits minus (magic − 127) are n + 127
  const t = madd(x, K(C_LOG2E), K(C_MAGIC));
  const fx = f32x4.sub(t, K(C_MAGIC));
  // r = x − n·ln2 in two pieces (Cody–Waite)
  let r = f32x4.sub(x, f32x4.mul(fx, K(C_LN2_HI)));
  r = f32x4.sub(r, f32x4.mul(fx, K(C_LN2_LO)));
  const z = f32x4.mul(r, r);
  let y = madd(K(C_P0), r, K(C_P1));
  y = madd(y, r, K(C_P2));
  y = madd(y, r, K(C_P3));
  y = madd(y, r, K(C_P4));
  y = madd(y, r, K(C_P5));
  y = f32x4.add(madd(y, z, r), K(C_ONE));
  const pow2n = i32x4.shl(i32x4.sub(t, K(C_BIAS)), 23);
  return f32x4.mul(y, pow2n);
}

/**
 * tanh for each lane: the odd/even rational x·P(x²)/Q(x²) after clamping to ±7.905 (max error 4e-7
 * absolute and relative, measured in test/wasm-math.test.ts). One division, no exp. NaN stays NaN.
 */
// @ts-ignore: decorator
@inline export function tanh4(x: v128): v128 {
  x = f32x4.pmin(f32x4.pmax(x, K(C_TANH_NCLAMP)), K(C_TANH_CLAMP));
  // Estrin's scheme: short dependency chains, so neighbouring lanes' work overlaps in the pipeline
  const y = f32x4.mul(x, x), y2 = f32x4.mul(y, y), y4 = f32x4.mul(y2, y2);
  const p01 = madd(K(C_A3), y, K(C_A1)), p23 = madd(K(C_A7), y, K(C_A5)), p45 = madd(K(C_A11), y, K(C_A9));
  const p = madd(madd(K(C_A13), y2, p45), y4, madd(p23, y2, p01));
  const q = madd(madd(K(C_B6), y, K(C_B4)), y2, madd(K(C_B2), y, K(C_B0)));
  return f32x4.div(f32x4.mul(p, x), q);
}

/** σ(x) = 1 / (1 + e^−x) for each lane: relative error ~1e-7 down to σ ≈ 1e-38. */
// @ts-ignore: decorator
@inline export function sigmoid4(x: v128): v128 {
  const one = K(C_ONE);
  return f32x4.div(one, f32x4.add(one, exp4(f32x4.neg(x))));
}

// ---- work sharing ------------------------------------------------------------------------------------------

/** Start of share t of `units` units of `unit` elements, clamped to n. */
// @ts-ignore: decorator
@inline export function shareStart(n: i32, unit: i32, t: i32, nt: i32): i32 {
  const units = (n + unit - 1) / unit;
  return min(n, <i32>((<i64>units * t) / nt) * unit);
}

