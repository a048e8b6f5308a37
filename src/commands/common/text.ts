/**
 * Text given to a trained model, prepared as its corpus was: the one preparation of sample's prime and of the texts
 * score, inspect and eval read. The checkpoint records the corpus's preparation (--newline lf, --nfc,
 * --min-char-count: characters the model lacks read as its unknown symbol, as rare ones did in training); older
 * checkpoints have it in their config. A string (a prime, a text to score) goes through `asTrained`; a corpus's bytes
 * (eval) through `trainedPreparation` and encodeCorpus (prepared-corpus.ts), which apply the same steps to bytes.
 */
import { resolve } from 'node:path';
import type { Checkpoint } from '../../checkpoint/schema.js';
import { readCorpus } from '../../corpus/read.js';
import { prepareText, preparationOf, UNKNOWN_CHAR, type Preparation } from '../../data/prepare.js';
import { describeCodePoint, type Vocab } from '../../data/vocab.js';
import { attempt, attemptSync, CharnnError } from '../../errors.js';
import type { Io } from '../io.js';

/** How the checkpoint's corpus was prepared (none recorded: none). */
export function trainedPreparation(ckpt: Pick<Checkpoint, 'corpus' | 'config'>): Preparation {
  return preparationOf(ckpt.corpus?.preparation ?? (ckpt.config as Partial<Preparation>));
}

/** `text` prepared as the training corpus was (newlines, NFC; with --min-char-count, characters the model does not
 *  have become its unknown symbol, as rare ones did in training). Characters it still lacks are left for the
 *  caller to refuse or drop. */
export function asTrained(text: string, ckpt: Pick<Checkpoint, 'corpus' | 'config'>, vocab: Vocab): string {
  const prep = trainedPreparation(ckpt);
  const prepared = prepareText(text, prep);
  if (prep.minCharCount <= 1 || vocab.idOf(UNKNOWN_CHAR) < 0) return prepared;
  let out = '';
  for (const ch of prepared) out += vocab.idOf(ch) >= 0 ? ch : UNKNOWN_CHAR;
  return out;
}

/** Ids of the characters of `text`, or an error naming the characters the model never saw and where (`what`: the
 *  command's "what failed"). */
export function encodeKnown(text: string, vocab: Vocab, where: (index: number) => string, what: string): number[] {
  const ids: number[] = [];
  const unknown = new Map<string, string>(); // character -> where first seen
  let i = 0;
  for (const ch of text) {
    const id = vocab.idOf(ch);
    if (id < 0) {
      if (!unknown.has(ch)) unknown.set(ch, where(i));
    } else ids.push(id);
    i++;
  }
  if (unknown.size) {
    const list = [...unknown].slice(0, 8).map(([c, w]) => `${describeCodePoint(c.codePointAt(0)!)} (${w})`);
    throw new CharnnError(
      `the text has ${unknown.size} character${unknown.size > 1 ? 's' : ''} the model never saw: ${list.join(', ')}${unknown.size > 8 ? ', …' : ''}`,
      'the model can only score characters it was trained on',
      what,
    );
  }
  return ids;
}

/** The bytes of a text argument: a file (relative to io.cwd) or '-' for standard input; `what` names a failure. */
export async function readTextBytes(arg: string, io: Pick<Io, 'stdin' | 'cwd'>, what = 'cannot read the text'): Promise<Uint8Array> {
  return attempt(what, async () => {
    if (arg === '-') {
      const bytes = await io.stdin();
      if (bytes.length === 0) throw new Error('the corpus on stdin is empty (pipe some text in, or give a file path)');
      return bytes;
    }
    const abs = resolve(io.cwd, arg);
    try {
      return await readCorpus(abs);
    } catch (e) {
      throw new Error((e as Error).message.split(abs).join(arg)); // the path as the user gave it
    }
  });
}

/** A text argument decoded (UTF-8, strict), prepared as the checkpoint's corpus was. */
export async function readTextAsTrained(arg: string, ckpt: Pick<Checkpoint, 'corpus' | 'config'>, vocab: Vocab, io: Pick<Io, 'stdin' | 'cwd'>): Promise<string> {
  const bytes = await readTextBytes(arg, io);
  const text = attemptSync('cannot read the text', () => new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  return asTrained(text, ckpt, vocab);
}

/** How a text argument is named in reports. */
export const textName = (arg: string) => (arg === '-' ? 'standard input' : arg);
