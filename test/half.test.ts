/**
 * float16 storage (src/checkpoint/half.ts) against an independent reference written here from the IEEE 754
 * definition: every one of the 65,536 half patterns decodes to its exact value, and float32 -> half gives the
 * nearest half with ties to the even pattern, overflow to inf, NaN kept. The reference finds the nearest half by
 * binary search over the sorted positive halves and compares distances in float64, where both differences are
 * exact (a float32 and its neighbouring halves agree above the half's last bit, so each difference has at most
 * 24 + 10 significant bits, well inside a double's 53).
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { f32ArrayToHalf, f32BitsToHalfBits, f32ToHalfBits, halfArrayToF32, halfBitsToF32, halfBitsToF32Bits } from '../src/checkpoint/half.js';

/** The value of a half pattern, straight from the definition (sign, 5-bit exponent biased 15, 10-bit fraction). */
function refHalfValue(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0x1f) return m === 0 ? s * Infinity : NaN;
  if (e === 0) return s * m * 2 ** -24;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

/** The positive finite halves in order (pattern = index), with 65536 standing in for inf at 0x7c00: IEEE 754
 *  rounds as if the exponent range went on, so a value rounding to 2^16 overflows to inf. */
const POSITIVE = Array.from({ length: 0x7c01 }, (_, i) => (i === 0x7c00 ? 65536 : refHalfValue(i)));

function refNearestHalf(x: number): number {
  if (Number.isNaN(x)) return -1; // checked separately
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  const a = Math.abs(x);
  if (a === Infinity || a >= 65536) return sign | 0x7c00;
  let lo = 0;
  let hi = 0x7c00; // POSITIVE[lo] <= a < POSITIVE[hi]
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (POSITIVE[mid] <= a) lo = mid;
    else hi = mid;
  }
  const dl = a - POSITIVE[lo];
  const dh = POSITIVE[hi] - a;
  const pick = dl < dh ? lo : dh < dl ? hi : lo % 2 === 0 ? lo : hi;
  return sign | pick;
}

const bitsOf = (x: number) => new Uint32Array(new Float32Array([x]).buffer)[0];
const fromBits = (b: number) => new Float32Array(new Uint32Array([b >>> 0]).buffer)[0];

describe('half -> float32', () => {
  it('decodes every one of the 65,536 patterns exactly (sign of zero and NaN payload included)', () => {
    const all = Uint16Array.from({ length: 0x10000 }, (_, h) => h);
    const wide = halfArrayToF32(all);
    const wideBits = new Uint32Array(wide.buffer);
    const wrong: string[] = []; // collected, then asserted once (65,536 expects would dominate the run time)
    for (let h = 0; h < 0x10000; h++) {
      const ref = refHalfValue(h);
      const ok = Number.isNaN(ref)
        ? // NaN: the float32 pattern is the half's sign, all-ones exponent and its fraction in the top bits
          wideBits[h] === (((h & 0x8000) << 16) | 0x7f800000 | ((h & 0x3ff) << 13)) >>> 0 && Number.isNaN(halfBitsToF32(h))
        : Object.is(wide[h], ref) && Object.is(halfBitsToF32(h), ref);
      if (!ok || halfBitsToF32Bits(h) !== wideBits[h]) wrong.push(`0x${h.toString(16)} -> ${wide[h]} (want ${ref})`);
    }
    expect(wrong).toEqual([]);
    // and back: encoding the decoded halves gives every pattern again, the identity the checksum relies on
    expect(Array.from(f32ArrayToHalf(wide))).toEqual(Array.from(all));
  });
});

describe('float32 -> half', () => {
  it('rounds the edge cases as IEEE 754 says', () => {
    const cases: Array<[number, number]> = [
      [0, 0x0000],
      [-0, 0x8000],
      [1, 0x3c00],
      [1 + 2 ** -11, 0x3c00], // tie between 1 and 1+2^-10: to the even one
      [1 + 3 * 2 ** -11, 0x3c02], // tie between 1+2^-10 and 1+2^-9: to the even one, up
      [65504, 0x7bff],
      [65519.99609375, 0x7bff], // just below the overflow threshold
      [65520, 0x7c00], // the tie above 65504 rounds to "65536", which is inf
      [-1e9, 0xfc00],
      [2 ** -24, 0x0001], // smallest subnormal
      [2 ** -25, 0x0000], // tie between 0 and 2^-24: to 0
      [fromBits(bitsOf(2 ** -25) + 1), 0x0001], // just above the tie
      [3 * 2 ** -25, 0x0002], // tie between subnormals 1 and 2: to 2
      [2 ** -14 - 2 ** -25, 0x0400], // tie between the largest subnormal and the smallest normal: to the normal (even)
      [fromBits(1), 0x0000], // a float32 subnormal
      [Infinity, 0x7c00],
      [-Infinity, 0xfc00],
    ];
    for (const [x, h] of cases) expect([x, f32ToHalfBits(x)]).toEqual([x, h]);
    expect(f32ToHalfBits(NaN) & 0x7c00).toBe(0x7c00);
    expect(f32ToHalfBits(NaN) & 0x3ff).not.toBe(0);
    expect(f32ToHalfBits(fromBits(0x7f800001)) & 0x3ff).not.toBe(0); // payload only in dropped bits: still NaN
    expect(f32ToHalfBits(fromBits(0xff800001))).toBe(0xfe00); // sign kept, quiet bit set
  });

  const anyBits = fc.integer({ min: 0, max: 0xffffffff });
  // most of a half's range: exponents 2^-26 .. 2^17, where the rounding decisions are
  const halfRange = fc.tuple(fc.boolean(), fc.integer({ min: 0x32800000, max: 0x48000000 })).map(([neg, b]) => (b | (neg ? 0x80000000 : 0)) >>> 0);
  // exact ties: a half's value plus half its spacing, either sign
  const ties = fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 0x7bff })).map(([neg, h]) => bitsOf((neg ? -1 : 1) * Math.fround((POSITIVE[h] + POSITIVE[h + 1]) / 2)));

  test.prop([fc.oneof(anyBits, halfRange, ties)], { numRuns: 20000 })('gives the nearest half, ties to even (float32 bit patterns)', (b) => {
    const h = f32BitsToHalfBits(b);
    const x = fromBits(b);
    if (Number.isNaN(x)) {
      // NaN stays NaN with its sign, its top payload bits kept (quiet bit set if they were all zero)
      const top = (b >>> 13) & 0x3ff;
      expect(h).toBe(((b >>> 16) & 0x8000) | 0x7c00 | (top || 0x200));
    } else {
      expect(h).toBe(refNearestHalf(x));
    }
    // the array form agrees with the scalar one
    expect(f32ArrayToHalf(new Float32Array(new Uint32Array([b]).buffer))[0]).toBe(h);
  });
});
