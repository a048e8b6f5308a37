/**
 * Weight initialisation. Values are drawn in the flat buffer's order from the seeded Rng, so a seed gives the
 * same model on every backend.
 *
 * 'pytorch' (default): every recurrent weight and bias uniform in ±1/sqrt(H), as nn.RNN/nn.LSTM/nn.GRU do, and
 *   the decoder's weight and bias uniform in ±1/sqrt(H) too: that is nn.Linear(H, V)'s default (its bound is
 *   1/sqrt(in_features) = 1/sqrt(H)). This is what the reference PyTorch figures use.
 * 'charrnn': Karpathy's char-rnn: everything uniform in ±0.08, then the LSTM forget-gate block of b_ih set to 1
 *   (char-rnn set the i2h bias only; b_hh's forget block keeps its uniform draw), to encourage remembering early.
 *
 * A learned input embedding (--embed) gets its uniform draws in that pass like every tensor; then 'pytorch' redraws
 * it N(0, 1) (nn.Embedding's default: inputs of unit scale), continuing the same Rng; 'charrnn' keeps its ±0.08.
 *
 * Dimension legend: H hidden.
 */
import type { Vec } from '../math/kernels.js';
import type { Rng } from '../math/rng.js';
import type { InitScheme } from './config.js';
import type { ParamLayout } from './layout.js';

export function initParams(layout: ParamLayout, params: Vec, rng: Rng, scheme: InitScheme = 'pytorch'): void {
  const { hidden: H, cell, layers: L } = layout.config;
  let bound: number;
  if (scheme === 'pytorch') bound = 1 / Math.sqrt(H);
  else if (scheme === 'charrnn') bound = 0.08;
  else throw new Error(`unknown init scheme ${String(scheme)} (use pytorch or charrnn)`);
  for (let i = 0; i < layout.size; i++) params[i] = rng.range(-bound, bound);
  if (scheme === 'charrnn' && cell === 'lstm') {
    for (let l = 0; l < L; l++) layout.layer(params, l).bih.fill(1, H, 2 * H); // gates [i | f | g | o]
  }
  const enc = layout.encoder(params); // (V, n)
  if (enc && scheme === 'pytorch') for (let i = 0; i < enc.length; i++) enc[i] = rng.normal();
  // a learned start state begins at zero: the model starts out as the zero-state one and learns away from it
  layout.startState(params)?.fill(0);
  // layer norm starts as the identity map up to scale: gains 1, biases 0 (drawn above, then overwritten, so the
  // other tensors get the same draws with the option on or off)
  for (let l = 0; l < L; l++) {
    const ln = layout.layer(params, l).ln;
    if (!ln) break;
    for (const g of [ln.gih, ln.ghh, ln.gc]) g?.fill(1);
    for (const b of [ln.bih, ln.bhh, ln.bc]) b?.fill(0);
  }
}
