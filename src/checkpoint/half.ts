/**
 * IEEE 754 binary16 ("half", float16) <-> float32, bit-exact: the storage of compact sampling-only checkpoints.
 *
 * float32 -> half rounds to nearest, ties to even, as a hardware conversion (and numpy's astype(float16)) does:
 * values below the smallest normal half become subnormals (rounded, not flushed), values that round past the
 * largest half (65504) become +-inf, NaN stays NaN (its top payload bits kept, quiet bit set when they are all
 * zero so it cannot turn into inf). half -> float32 is exact for every one of the 65,536 patterns, so
 * encode(decode(h)) === h for all of them (what lets the checksum hash the stored half bytes from decoded values).
 * The conversions work on bit patterns (arrays through Uint32Array views): a NaN read into a JavaScript number may
 * lose its payload, a bit pattern does not.
 */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The half bit pattern nearest to x (a float32 value, or a double first rounded to float32 as storage does). */
export function f32ToHalfBits(x: number): number {
  f32[0] = x;
  return f32BitsToHalfBits(u32[0]);
}

/** The float32 value of a half bit pattern (exact; a NaN's payload may not survive as a number, see above). */
export function halfBitsToF32(h: number): number {
  u32[0] = halfBitsToF32Bits(h);
  return f32[0];
}

/** float32 bit pattern -> the nearest half's bit pattern. */
export function f32BitsToHalfBits(b: number): number {
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  const mant = b & 0x7fffff;
  if (exp === 0xff) return mant === 0 ? sign | 0x7c00 : sign | 0x7c00 | (mant >>> 13 || 0x200); // inf, NaN
  const e = exp - 127 + 15; // the half's biased exponent
  if (e >= 0x1f) return sign | 0x7c00; // at least 2^16: past every half
  if (e <= 0) {
    // subnormal half (or zero): the value in units of 2^-24 is the 24-bit significand shifted right by 14 - e
    if (e < -10) return sign; // below half the smallest subnormal (2^-25), including float32 subnormals: +-0
    const full = mant | 0x800000; // 24-bit significand of a normal float32
    const shift = 14 - e; // 14..24: bits dropped to land on units of 2^-24
    const q = full >>> shift;
    const rest = full & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    const up = rest > half || (rest === half && (q & 1) === 1);
    return sign | (q + (up ? 1 : 0)); // a carry into 0x400 is the smallest normal, as it should be
  }
  // normal: keep 10 mantissa bits, round the 13 dropped ones; a carry ripples into the exponent (up to inf: 0x7c00)
  const q = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  const up = rest > 0x1000 || (rest === 0x1000 && (q & 1) === 1);
  return sign | (q + (up ? 1 : 0));
}

/** half bit pattern -> float32 bit pattern (exact). */
export function halfBitsToF32Bits(h: number): number {
  const sign = (h & 0x8000) << 16;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0x1f) return (sign | 0x7f800000 | (mant << 13)) >>> 0;
  if (exp !== 0) return (sign | ((exp - 15 + 127) << 23) | (mant << 13)) >>> 0;
  if (mant === 0) return sign >>> 0;
  // subnormal half, mant * 2^-24: normalise into a float32 (every half subnormal is a normal float32)
  let m = mant;
  let e = -14;
  while ((m & 0x400) === 0) {
    m <<= 1;
    e--;
  }
  return (sign | ((e + 127) << 23) | ((m & 0x3ff) << 13)) >>> 0;
}

/** A float32 array as its nearest halves (see f32ToHalfBits). */
export function f32ArrayToHalf(a: Float32Array): Uint16Array {
  const bits = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const out = new Uint16Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = f32BitsToHalfBits(bits[i]);
  return out;
}

/** Halves as float32 (exact). */
export function halfArrayToF32(h: Uint16Array): Float32Array {
  const out = new Float32Array(h.length);
  const bits = new Uint32Array(out.buffer);
  for (let i = 0; i < h.length; i++) bits[i] = halfBitsToF32Bits(h[i]);
  return out;
}
