/**
 * Text given to a model (a prime, a text to score, evaluate or inspect) prepared the way the model's corpus was:
 * its newlines (--newline lf), its Unicode form (--nfc), and with --min-char-count the characters the model does
 * not have read as its unknown symbol, as rare ones were in training. Every command that feeds text to a model
 * prepares it here, so a text one command accepts, the others accept too.
 */
import type { Checkpoint } from '../../checkpoint/schema.js';
import { prepareText, preparationOf, UNKNOWN_CHAR, type Preparation } from '../../data/prepare.js';
import type { Vocab } from '../../data/vocab.js';

/** The preparation the checkpoint's corpus went through (older checkpoints record it in their config). */
export function preparationOfCheckpoint(ckpt: Checkpoint): Preparation {
  return preparationOf(ckpt.corpus?.preparation ?? (ckpt.config as Partial<Preparation>));
}

export function asTrained(text: string, ckpt: Checkpoint, vocab: Vocab): string {
  const prep = preparationOfCheckpoint(ckpt);
  const prepared = prepareText(text, prep);
  if (prep.minCharCount <= 1 || vocab.idOf(UNKNOWN_CHAR) < 0) return prepared;
  let out = '';
  for (const ch of prepared) out += vocab.idOf(ch) >= 0 ? ch : UNKNOWN_CHAR;
  return out;
}
