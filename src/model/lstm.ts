/**
 * LSTM layer over a window, forward and backward side by side (PyTorch's equations, gates [i | f | g | o]):
 *   pre_t = x_t·W_ih + b_ih + b_hh + h_{t-1}·W_hh     c_t = σ(f)·c_{t-1} + σ(i)·tanh(g)     h_t = σ(o)·tanh(c_t)
 * The input part of pre for all T steps is one product (or a row gather); only h_{t-1}·W_hh runs per step.
 * The pointwise gate maths is one fused kernel per step (act overwrites pre in place).
 * --layer-norm (Ba, Kiros & Hinton 2016, §3.1): pre_t = LN(x_t·W_ih + b_ih) + LN(h_{t-1}·W_hh + b_hh), each norm
 * over all 4H of a row with its own gain and bias, and h_t = σ(o)·tanh(LN(c_t)) (over H); c_t itself, unnormalised,
 * is what the next step carries. The raw parts, c_t's norm and the statistics are kept for backward.
 *
 * Dimension legend: B streams, T window, H hidden, D input width, G = 4 gate blocks; state (S=2, B, H) = [h, c].
 */
import type { Kernels, Vec } from '../math/kernels.js';
import type { LayerParams } from './layout.js';
import { biasGradsBoth, biasSum, projectInput, projectInputBackward, type LayerInput, type RecurrentLayer, type Scratch } from './layer.js';

export class LstmLayer implements RecurrentLayer {
  private readonly GH: number;
  private hs!: Vec; // (T+1, B, H)   slot 0 = initial h
  private cs!: Vec; // (T+1, B, H)   slot 0 = initial c
  private act!: Vec; // (T, B, 4H)   pre-activations, then [σ(i) | σ(f) | tanh(g) | σ(o)]
  private readonly bias: Vec; // (4H)   b_ih + b_hh
  private rows = 0; // capacity of hs in rows of H
  // inference step workspace, per B
  private stepB = 0;
  private stepPre!: Vec; // (B, 4H)
  private stepC!: Vec; // (B, H)
  // --layer-norm only
  private preRaw!: Vec; // (T, B, 4H)   x·W_ih + b_ih before its norm
  private ghRaw!: Vec; // (T, B, 4H)   h·W_hh + b_hh before its norm; backward: its gradient
  private ghN!: Vec; // (B, 4H)   LN of one step's ghRaw; then also the step workspace
  private cn!: Vec; // (T, B, H)   LN(c_t)
  private stat!: Vec; // (6, T*B)   mean, rstd of the input part's rows, of the recurrent part's, of c's
  private dcn!: Vec; // (2, B, H)   backward: dL/dLN(c_t), then dL/dc_t through the norm
  private lnB = 0; // capacity of ghN and dcn in streams

  constructor(private readonly k: Kernels, readonly D: number, readonly H: number, private readonly scratch: Scratch, private readonly ln = false) {
    this.GH = 4 * H;
    this.bias = k.alloc(this.GH);
  }

  private reserve(T: number, B: number): void {
    if (this.ln && B > this.lnB) {
      this.lnB = B;
      this.ghN = this.k.alloc(B * this.GH);
      this.dcn = this.k.alloc(2 * B * this.H);
    }
    if ((T + 1) * B <= this.rows) return;
    this.rows = (T + 1) * B;
    this.hs = this.k.alloc(this.rows * this.H);
    this.cs = this.k.alloc(this.rows * this.H);
    this.act = this.k.alloc(this.rows * this.GH); // (T+1)·B rows ≥ T·B: one capacity for all buffers
    if (this.ln) {
      this.preRaw = this.k.alloc(this.rows * this.GH);
      this.ghRaw = this.k.alloc(this.rows * this.GH);
      this.cn = this.k.alloc(this.rows * this.H);
      this.stat = this.k.alloc(6 * this.rows);
    }
  }

  outputs(T: number, B: number): Vec {
    return this.hs.subarray(B * this.H, (T + 1) * B * this.H);
  }

  forward(p: LayerParams, x: LayerInput, T: number, B: number, state: Vec): void {
    const { k, H, GH, D } = this;
    const BH = B * H, BG = B * GH;
    this.reserve(T, B);
    const { hs, cs, act } = this;
    k.copy(hs, state, BH);
    k.copy(cs, state.subarray(BH, 2 * BH), BH);
    if (p.ln) {
      this.forwardNormed(p, x, T, B);
      k.copy(state, hs.subarray(T * BH), BH);
      k.copy(state.subarray(BH, 2 * BH), cs.subarray(T * BH), BH);
      return;
    }
    biasSum(k, this.bias, p, GH);
    projectInput(k, act, p.wih, this.bias, x, T * B, D, GH); // (T*B, 4H)
    const whh = this.scratch.whhPacked; // W_hh (H, 4H) packed once for the T products
    k.packRight(whh, p.whh, H, GH, false);
    for (let t = 0; t < T; t++) {
      const pre = act.subarray(t * BG, (t + 1) * BG); // (B, 4H)
      k.mmPacked(pre, hs.subarray(t * BH, (t + 1) * BH), whh, B, H, GH, false, true);
      k.lstmForward(
        hs.subarray((t + 1) * BH, (t + 2) * BH), cs.subarray((t + 1) * BH, (t + 2) * BH),
        pre, pre, cs.subarray(t * BH, (t + 1) * BH), B, H,
      );
    }
    k.copy(state, hs.subarray(T * BH), BH);
    k.copy(state.subarray(BH, 2 * BH), cs.subarray(T * BH), BH);
  }

  /** --layer-norm forward over the window (hs[0], cs[0] set): act, hs, cs, cn, the raw parts and statistics. */
  private forwardNormed(p: LayerParams, x: LayerInput, T: number, B: number): void {
    const { k, H, GH, D, hs, cs, act, preRaw, ghRaw, ghN, cn, stat } = this;
    const ln = p.ln!;
    const BH = B * H, BG = B * GH, M = T * B;
    projectInput(k, preRaw, p.wih, p.bih, x, M, D, GH); // (T*B, 4H)
    k.layerNormForward(act, stat, stat.subarray(M), preRaw, ln.gih, ln.bih, M, GH);
    const whh = this.scratch.whhPacked; // W_hh (H, 4H) packed once for the T products
    k.packRight(whh, p.whh, H, GH, false);
    for (let t = 0; t < T; t++) {
      const pre = act.subarray(t * BG, (t + 1) * BG); // (B, 4H)
      const raw = ghRaw.subarray(t * BG, (t + 1) * BG);
      const h = hs.subarray((t + 1) * BH, (t + 2) * BH), c = cs.subarray((t + 1) * BH, (t + 2) * BH), cnT = cn.subarray(t * BH, (t + 1) * BH);
      k.rowsSet(raw, p.bhh, B, GH);
      k.mmPacked(raw, hs.subarray(t * BH, (t + 1) * BH), whh, B, H, GH, false, true);
      k.layerNormForward(ghN, stat.subarray(2 * M + t * B), stat.subarray(3 * M + t * B), raw, ln.ghh, ln.bhh, B, GH);
      k.axpy(pre, 1, ghN, BG);
      k.lstmForward(h, c, pre, pre, cs.subarray(t * BH, (t + 1) * BH), B, H); // h from the raw c: replaced below
      k.layerNormForward(cnT, stat.subarray(4 * M + t * B), stat.subarray(5 * M + t * B), c, ln.gc!, ln.bc!, B, H);
      k.lstmNormForward(h, pre, cnT, B, H);
    }
  }

  /** --layer-norm backward (same contract as backward). */
  private backwardNormed(p: LayerParams, g: LayerParams, x: LayerInput, dOut: Vec, dX: Vec | null, T: number, B: number, dState: Vec | null): void {
    const { k, H, GH, D, hs, cs, act, preRaw, ghRaw, cn, stat } = this;
    const ln = p.ln!, gln = g.ln!;
    const BH = B * H, BG = B * GH, M = T * B;
    this.scratch.reserve(T, B);
    const dpre = this.scratch.dgate; // (T*B, 4H)   dL/dpre; after the loop, of the input part's raw rows
    const dgh = ghRaw; // (T*B, 4H)   dL/d(raw recurrent part), step t's written once step t's raw part is read
    const dc = this.scratch.carry; // (B, H)   gradient into c_t from step t+1
    const dcn = this.dcn.subarray(0, BH), dcl = this.dcn.subarray(BH, 2 * BH); // (B, H) each
    k.fill(dc, 0, BH);
    const whhT = this.scratch.whhPacked; // W_hhᵀ packed once for the T products
    k.packRight(whhT, p.whh, GH, H, true);
    for (let t = T - 1; t >= 0; t--) {
      const dpreT = dpre.subarray(t * BG, (t + 1) * BG); // (B, 4H)
      const actT = act.subarray(t * BG, (t + 1) * BG);
      const dh = dOut.subarray(t * BH, (t + 1) * BH), cnT = cn.subarray(t * BH, (t + 1) * BH);
      // h_t = σ(o)·tanh(cn): dcn, then through c's norm into dcl
      k.lstmNormBackward(dcn, dh, actT, cnT, B, H);
      k.layerNormBackward(dcl, gln.gc!, gln.bc!, dcn, cs.subarray((t + 1) * BH, (t + 2) * BH), stat.subarray(4 * M + t * B), stat.subarray(5 * M + t * B), ln.gc!, B, H);
      // lstmBackward given cn for c adds dh·σ(o)·(1 − tanh²(cn)) = dcn to dc itself and takes tanh(cn) for the
      // o gate: handing it dc + dcl − dcn makes its total dc + dcl, the gradient into c_t through the norm
      k.axpy(dc, 1, dcl, BH);
      k.axpy(dc, -1, dcn, BH);
      k.lstmBackward(dpreT, dc, dh, dc, actT, cnT, cs.subarray(t * BH, (t + 1) * BH), B, H);
      const dghT = dgh.subarray(t * BG, (t + 1) * BG);
      k.layerNormBackward(dghT, gln.ghh, gln.bhh, dpreT, dghT, stat.subarray(2 * M + t * B), stat.subarray(3 * M + t * B), ln.ghh, B, GH);
      if (t > 0) k.mmPacked(dOut.subarray((t - 1) * BH, t * BH), dghT, whhT, B, GH, H, true, true);
      else if (dState) {
        k.mmPacked(dState, dghT, whhT, B, GH, H, true, false);
        k.copy(dState.subarray(BH, 2 * BH), dc, BH);
      }
    }
    k.layerNormBackward(dpre, gln.gih, gln.bih, dpre, preRaw, stat, stat.subarray(M), ln.gih, M, GH);
    k.mmTN(g.whh, hs, dgh, H, M, GH, true); // hs[0..T) = h_{t-1} for all t
    k.colSumAcc(g.bhh, dgh, M, GH);
    k.colSumAcc(g.bih, dpre, M, GH);
    projectInputBackward(k, g.wih, dX, p.wih, x, dpre, M, D, GH);
  }

  backward(p: LayerParams, g: LayerParams, x: LayerInput, dOut: Vec, dX: Vec | null, T: number, B: number, dState: Vec | null): void {
    if (p.ln) return this.backwardNormed(p, g, x, dOut, dX, T, B, dState);
    const { k, H, GH, D, hs, cs, act } = this;
    const BH = B * H, BG = B * GH;
    this.scratch.reserve(T, B);
    const dpre = this.scratch.dgate; // (T*B, 4H)
    const dc = this.scratch.carry; // (B, H)   gradient into c_t from step t+1; none from past the window
    k.fill(dc, 0, BH);
    const whhT = this.scratch.whhPacked; // W_hhᵀ packed once for the T products
    k.packRight(whhT, p.whh, GH, H, true);
    for (let t = T - 1; t >= 0; t--) {
      const dpreT = dpre.subarray(t * BG, (t + 1) * BG); // (B, 4H)
      // dOut[t] already holds the recurrent gradient from step t+1 (added below on the previous iteration)
      k.lstmBackward(
        dpreT, dc, dOut.subarray(t * BH, (t + 1) * BH), dc, act.subarray(t * BG, (t + 1) * BG),
        cs.subarray((t + 1) * BH, (t + 2) * BH), cs.subarray(t * BH, (t + 1) * BH), B, H,
      );
      if (t > 0) k.mmPacked(dOut.subarray((t - 1) * BH, t * BH), dpreT, whhT, B, GH, H, true, true);
      else if (dState) {
        k.mmPacked(dState, dpreT, whhT, B, GH, H, true, false);
        k.copy(dState.subarray(BH, 2 * BH), dc, BH);
      }
    }
    const M = T * B;
    k.mmTN(g.whh, hs, dpre, H, M, GH, true); // hs[0..T) = h_{t-1} for all t
    biasGradsBoth(k, g, dpre, M, GH, this.scratch.dbias);
    projectInputBackward(k, g.wih, dX, p.wih, x, dpre, M, D, GH);
  }

  step(p: LayerParams, x: LayerInput, B: number, slots: readonly Vec[]): void {
    const { k, H, GH, D } = this;
    const BH = B * H;
    if (B > this.stepB) {
      this.stepB = B;
      this.stepPre = k.alloc(B * GH);
      this.stepC = k.alloc(BH);
    }
    const h = slots[0], c = slots[1]; // (B, H) each
    if (p.ln) return this.stepNormed(p, x, B, h, c);
    biasSum(k, this.bias, p, GH);
    projectInput(k, this.stepPre, p.wih, this.bias, x, B, D, GH); // (B, 4H)
    k.mm(this.stepPre, h, p.whh, B, H, GH, true);
    k.lstmForward(h, this.stepC, this.stepPre, this.stepPre, c, B, H); // new h straight into the state
    k.copy(c, this.stepC, BH);
  }

  /** --layer-norm inference step; workspace: ghN (B, 4H), cn (B, H), stat (B) x 2 (reserve(1, B) sized them). */
  private stepNormed(p: LayerParams, x: LayerInput, B: number, h: Vec, c: Vec): void {
    const { k, H, GH, D } = this;
    const ln = p.ln!;
    const BH = B * H, BG = B * GH;
    this.reserve(1, B);
    const pre = this.stepPre, ghN = this.ghN, cn = this.cn, mean = this.stat, rstd = this.stat.subarray(B);
    projectInput(k, pre, p.wih, p.bih, x, B, D, GH); // (B, 4H)
    k.layerNormForward(pre, mean, rstd, pre, ln.gih, ln.bih, B, GH);
    k.rowsSet(ghN, p.bhh, B, GH);
    k.mm(ghN, h, p.whh, B, H, GH, true);
    k.layerNormForward(ghN, mean, rstd, ghN, ln.ghh, ln.bhh, B, GH);
    k.axpy(pre, 1, ghN, BG);
    k.lstmForward(h, this.stepC, pre, pre, c, B, H);
    k.layerNormForward(cn, mean, rstd, this.stepC, ln.gc!, ln.bc!, B, H);
    k.lstmNormForward(h, pre, cn, B, H);
    k.copy(c, this.stepC, BH);
  }
}
