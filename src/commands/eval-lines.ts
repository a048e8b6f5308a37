/**
 * `charnn eval` of a line-mode model: the mean loss per character over lines, each from the start state, the end
 * token included: makemore's figure. Without a text: the checkpoint's validation lines (the same seeded split
 * training used); with a text: all its lines.
 */
import type { Checkpoint } from '../checkpoint/schema.js';
import { LineBatches, splitLineIndices } from '../data/lines.js';
import type { Vocab } from '../data/vocab.js';
import type { CharRNN } from '../model/char-rnn.js';
import { lineLossSum } from '../train/trainer.js';
import { attemptSync, CharnnError } from '../errors.js';
import { encodeLines } from '../data/line-corpus.js';

export interface LineEval {
  loss: number;
  chars: number;
  lines: number;
}

/** bytes: the text; `validation` true: only the checkpoint's validation lines of it. */
export function evaluateLines(model: CharRNN, ckpt: Checkpoint, vocab: Vocab, bytes: Uint8Array, validation: boolean, B: number, T: number): LineEval {
  const c = attemptSync('cannot evaluate the text', () => {
    try {
      return encodeLines(bytes, T, vocab);
    } catch (e) {
      throw new CharnnError((e as Error).message, 'the model can only score characters it was trained on');
    }
  });
  const n = c.lines.starts.length;
  let subset: Uint32Array = Uint32Array.from({ length: n }, (_, i) => i);
  if (validation) {
    const cfg = ckpt.config as { valFrac?: number; seed?: number };
    const val = splitLineIndices(n, Number(cfg.valFrac ?? 0.1), Number(cfg.seed ?? 1)).val;
    if (!val || val.length === 0) throw CharnnError.usage('the checkpoint was trained without a validation split', 'give a text to evaluate', 'cannot evaluate');
    subset = val;
  }
  const k = model.kernels;
  const lb = new LineBatches(c.lines, subset, B, T, { shuffle: false, seed: 0, what: 'text' });
  const x = k.allocI32(B * T), y = k.allocI32(B * T), keep = k.allocI32(B * T); // (T*B)
  const { total, chars } = lineLossSum(model, lb, x, y, keep, model.newState(B));
  return { loss: total / chars, chars, lines: subset.length };
}
