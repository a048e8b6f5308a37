/**
 * Fused pointwise maths of one recurrent time step, forward and backward side by side (LSTM, GRU, Elman).
 * Equations and layouts: kernels.ts. Work splits across threads by batch rows b; a row's H units go four
 * lanes at a time, the last 1 to 3 through partial loads (same arithmetic, so results do not depend on H % 4).
 * Pointers are byte offsets; B streams, H hidden units.
 */
import { ldp, stp, sigmoid4, tanh4, shareStart, K } from './simd';

// @ts-ignore: decorator
@inline function one(): v128 { return K(1); }



// ---- LSTM ------------------------------------------------------------------------------------------------

// @ts-ignore: decorator
@inline function lstmGateLanes(act: usize, pre: usize, H4: usize, n: i32): void {
  stp(act, sigmoid4(ldp(pre, n)), n);
  stp(act + H4, sigmoid4(ldp(pre + H4, n)), n);
  stp(act + 2 * H4, tanh4(ldp(pre + 2 * H4, n)), n);
  stp(act + 3 * H4, sigmoid4(ldp(pre + 3 * H4, n)), n);
}

// @ts-ignore: decorator
@inline function lstmStateLanes(h: usize, c: usize, act: usize, cPrev: usize, H4: usize, n: i32): void {
  const cn = f32x4.add(f32x4.mul(ldp(act + H4, n), ldp(cPrev, n)), f32x4.mul(ldp(act, n), ldp(act + 2 * H4, n)));
  stp(c, cn, n);
  stp(h, f32x4.mul(ldp(act + 3 * H4, n), tanh4(cn)), n);
}

/**
 * h, c (B,H); act, pre (B,4H) (may alias); cPrev (B,H). Two passes per row, gates then state, so that each
 * loop's iterations are independent (the gates → c → tanh c chain is long; interleaving hides its latency).
 */
export function lstmForward(t: i32, nt: i32, h: usize, c: usize, act: usize, pre: usize, cPrev: usize, B: i32, H: i32): void {
  const H4 = <usize>H << 2;
  const Hv = H & ~3;
  for (let b = shareStart(B, 1, t, nt), bEnd = shareStart(B, 1, t + 1, nt); b < bEnd; b++) {
    const r = <usize>b * H4, r4 = r << 2;
    for (let j = 0; j < Hv; j += 4) lstmGateLanes(act + r4 + (<usize>j << 2), pre + r4 + (<usize>j << 2), H4, 4);
    if (Hv < H) lstmGateLanes(act + r4 + (<usize>Hv << 2), pre + r4 + (<usize>Hv << 2), H4, H - Hv);
    for (let j = 0; j < Hv; j += 4) {
      const o = <usize>j << 2;
      lstmStateLanes(h + r + o, c + r + o, act + r4 + o, cPrev + r + o, H4, 4);
    }
    if (Hv < H) {
      const o = <usize>Hv << 2;
      lstmStateLanes(h + r + o, c + r + o, act + r4 + o, cPrev + r + o, H4, H - Hv);
    }
  }
}

// @ts-ignore: decorator
@inline function lstmBwdLanes(dpre: usize, dcPrev: usize, dh: usize, dc: usize, act: usize, c: usize, cPrev: usize, H4: usize, n: i32): void {
  const i = ldp(act, n), f = ldp(act + H4, n), g = ldp(act + 2 * H4, n), o = ldp(act + 3 * H4, n);
  const tc = tanh4(ldp(c, n));
  const dht = ldp(dh, n);
  // dc_t = dc + dh·o·(1 − tanh²c)
  const dct = f32x4.add(ldp(dc, n), f32x4.mul(f32x4.mul(dht, o), f32x4.sub(one(), f32x4.mul(tc, tc))));
  stp(dpre, f32x4.mul(f32x4.mul(dct, g), f32x4.mul(i, f32x4.sub(one(), i))), n);
  stp(dpre + H4, f32x4.mul(f32x4.mul(dct, ldp(cPrev, n)), f32x4.mul(f, f32x4.sub(one(), f))), n);
  stp(dpre + 2 * H4, f32x4.mul(f32x4.mul(dct, i), f32x4.sub(one(), f32x4.mul(g, g))), n);
  stp(dpre + 3 * H4, f32x4.mul(f32x4.mul(dht, tc), f32x4.mul(o, f32x4.sub(one(), o))), n);
  stp(dcPrev, f32x4.mul(dct, f), n);
}

/** dpre, act (B,4H); dcPrev (may alias dc), dh, dc, c, cPrev (B,H). */
export function lstmBackward(t: i32, nt: i32, dpre: usize, dcPrev: usize, dh: usize, dc: usize, act: usize, c: usize, cPrev: usize, B: i32, H: i32): void {
  const H4 = <usize>H << 2;
  for (let b = shareStart(B, 1, t, nt), bEnd = shareStart(B, 1, t + 1, nt); b < bEnd; b++) {
    const r = <usize>b * H4, r4 = r << 2;
    let j = 0;
    for (; j + 4 <= H; j += 4) {
      const o = <usize>j << 2;
      lstmBwdLanes(dpre + r4 + o, dcPrev + r + o, dh + r + o, dc + r + o, act + r4 + o, c + r + o, cPrev + r + o, H4, 4);
    }
    if (j < H) {
      const o = <usize>j << 2;
      lstmBwdLanes(dpre + r4 + o, dcPrev + r + o, dh + r + o, dc + r + o, act + r4 + o, c + r + o, cPrev + r + o, H4, H - j);
    }
  }
}

// ---- GRU -------------------------------------------------------------------------------------------------

// @ts-ignore: decorator
@inline function gruGateLanes(act: usize, gi: usize, gh: usize, H4: usize, n: i32): void {
  stp(act, sigmoid4(f32x4.add(ldp(gi, n), ldp(gh, n))), n);
  stp(act + H4, sigmoid4(f32x4.add(ldp(gi + H4, n), ldp(gh + H4, n))), n);
}

// @ts-ignore: decorator
@inline function gruStateLanes(h: usize, act: usize, gi: usize, gh: usize, hPrev: usize, H4: usize, n: i32): void {
  const r = ldp(act, n), z = ldp(act + H4, n);
  const nn = tanh4(f32x4.add(ldp(gi + 2 * H4, n), f32x4.mul(r, ldp(gh + 2 * H4, n))));
  stp(act + 2 * H4, nn, n);
  stp(h, f32x4.add(f32x4.mul(f32x4.sub(one(), z), nn), f32x4.mul(z, ldp(hPrev, n))), n);
}

/** h, hPrev (B,H); act, gi, gh (B,3H). Two passes per row (r, z; then n, h), as in lstmForward. */
export function gruForward(t: i32, nt: i32, h: usize, act: usize, gi: usize, gh: usize, hPrev: usize, B: i32, H: i32): void {
  const H4 = <usize>H << 2;
  const Hv = H & ~3;
  for (let b = shareStart(B, 1, t, nt), bEnd = shareStart(B, 1, t + 1, nt); b < bEnd; b++) {
    const r = <usize>b * H4, r3 = r * 3;
    for (let j = 0; j < Hv; j += 4) {
      const o = <usize>j << 2;
      gruGateLanes(act + r3 + o, gi + r3 + o, gh + r3 + o, H4, 4);
    }
    if (Hv < H) {
      const o = <usize>Hv << 2;
      gruGateLanes(act + r3 + o, gi + r3 + o, gh + r3 + o, H4, H - Hv);
    }
    for (let j = 0; j < Hv; j += 4) {
      const o = <usize>j << 2;
      gruStateLanes(h + r + o, act + r3 + o, gi + r3 + o, gh + r3 + o, hPrev + r + o, H4, 4);
    }
    if (Hv < H) {
      const o = <usize>Hv << 2;
      gruStateLanes(h + r + o, act + r3 + o, gi + r3 + o, gh + r3 + o, hPrev + r + o, H4, H - Hv);
    }
  }
}

// @ts-ignore: decorator
@inline function gruBwdLanes(dgi: usize, dgh: usize, dhPrev: usize, dh: usize, act: usize, gh: usize, hPrev: usize, H4: usize, n: i32): void {
  const r = ldp(act, n), z = ldp(act + H4, n), nn = ldp(act + 2 * H4, n);
  const d = ldp(dh, n);
  const dn = f32x4.mul(f32x4.mul(d, f32x4.sub(one(), z)), f32x4.sub(one(), f32x4.mul(nn, nn)));
  const dz = f32x4.mul(f32x4.mul(d, f32x4.sub(ldp(hPrev, n), nn)), f32x4.mul(z, f32x4.sub(one(), z)));
  const dr = f32x4.mul(f32x4.mul(dn, ldp(gh + 2 * H4, n)), f32x4.mul(r, f32x4.sub(one(), r)));
  stp(dgi, dr, n); stp(dgi + H4, dz, n); stp(dgi + 2 * H4, dn, n);
  stp(dgh, dr, n); stp(dgh + H4, dz, n); stp(dgh + 2 * H4, f32x4.mul(dn, r), n);
  stp(dhPrev, f32x4.mul(d, z), n);
}

/** dgi, dgh, act, gh (B,3H); dhPrev, dh, hPrev (B,H). */
export function gruBackward(t: i32, nt: i32, dgi: usize, dgh: usize, dhPrev: usize, dh: usize, act: usize, gh: usize, hPrev: usize, B: i32, H: i32): void {
  const H4 = <usize>H << 2;
  for (let b = shareStart(B, 1, t, nt), bEnd = shareStart(B, 1, t + 1, nt); b < bEnd; b++) {
    const r = <usize>b * H4, r3 = r * 3;
    let j = 0;
    for (; j + 4 <= H; j += 4) {
      const o = <usize>j << 2;
      gruBwdLanes(dgi + r3 + o, dgh + r3 + o, dhPrev + r + o, dh + r + o, act + r3 + o, gh + r3 + o, hPrev + r + o, H4, 4);
    }
    if (j < H) {
      const o = <usize>j << 2;
      gruBwdLanes(dgi + r3 + o, dgh + r3 + o, dhPrev + r + o, dh + r + o, act + r3 + o, gh + r3 + o, hPrev + r + o, H4, H - j);
    }
  }
}

// ---- Elman -----------------------------------------------------------------------------------------------

/** h = tanh(pre), (B,H), may alias. Split by rows like the other cells. */
export function rnnForward(t: i32, nt: i32, h: usize, pre: usize, B: i32, H: i32): void {
  const H4 = <usize>H << 2;
  for (let b = shareStart(B, 1, t, nt), bEnd = shareStart(B, 1, t + 1, nt); b < bEnd; b++) {
    const r = <usize>b * H4;
    for (let j = 0; j < H; j += 4) {
      const n = min(4, H - j), o = r + (<usize>j << 2);
      stp(h + o, tanh4(ldp(pre + o, n)), n);
    }
  }
}

/** dpre = dh·(1 − h²), (B,H), may alias dh. */
export function rnnBackward(t: i32, nt: i32, dpre: usize, dh: usize, h: usize, B: i32, H: i32): void {
  const H4 = <usize>H << 2;
  for (let b = shareStart(B, 1, t, nt), bEnd = shareStart(B, 1, t + 1, nt); b < bEnd; b++) {
    const r = <usize>b * H4;
    for (let j = 0; j < H; j += 4) {
      const n = min(4, H - j), o = r + (<usize>j << 2);
      const y = ldp(h + o, n);
      stp(dpre + o, f32x4.mul(ldp(dh + o, n), f32x4.sub(one(), f32x4.mul(y, y))), n);
    }
  }
}
