/**
 * `charnn eval <checkpoint> [text|-]`: the loss of a text under the model, in nats and bits per character.
 * A text counts every character: one stream from the zero state, in windows with the state carried
 * (train/evaluate.ts), so the figure depends on no layout; --batch splits it into streams for speed, still
 * counting every character.
 * Without a text, the checkpoint's own validation split (its corpus must be found and match its SHA-256), laid out
 * as training laid it out (B streams of T-windows, the remainder left out as training leaves it), which
 * reproduces the validation loss training reported; the line says so. --batch or --seq there count every
 * character instead, as for a text.
 */
import type { Command } from 'commander';
import { loadCheckpoint } from '../checkpoint/io.js';
import type { Checkpoint } from '../checkpoint/schema.js';
import { Batches, splitIds } from '../data/batches.js';
import { readCorpus } from '../data/corpus.js';
import { encodeUtf8, Vocab, type Ids } from '../data/vocab.js';
import { createKernels } from '../math/backend.js';
import type { CharRNN } from '../model/char-rnn.js';
import { attempt, attemptSync, CliError } from './errors.js';
import { readCorpusArg } from './inputs.js';
import { addOptions, COMMON, EVAL, readOptions, relaxedFor } from './options.js';
import { evaluateText } from '../train/evaluate.js';
import { modelFromCheckpoint } from './run-state.js';
import { Ui } from './ui.js';

export function registerEval(program: Command): void {
  const cmd = program
    .command('eval')
    .description('loss of a text under a model (nats and bits per character) on stdout')
    .argument('<checkpoint>', 'a checkpoint .json')
    .argument('[text]', "a text file or - for standard input (default: the checkpoint's validation split)");
  addOptions(cmd, EVAL);
  addOptions(cmd, COMMON);
  cmd.action(async (path: string, textArg: string | undefined, _o: unknown, self: Command) => {
    const common = readOptions(self, COMMON).values;
    const ui = new Ui({ color: common.color, quiet: common.quiet, verbose: common.verbose });
    const { values: o, given } = readOptions(self, EVAL);
    const ckpt = loadCheckpoint(path);
    const vocab = Vocab.fromChars(ckpt.vocab);
    const { ids, what, split } = await textIds(ckpt, vocab, textArg, ui);
    const cfg = ckpt.config as { batch?: number; seq?: number };
    const T = o.seq || cfg.seq || 64;
    // the validation split as training measured it, unless a layout is asked for
    const trainingLayout = split && !given.has('batch') && !given.has('seq');
    const kernels = await attempt(`cannot start the ${o.backend} backend`, () => createKernels(o.backend, { threads: o.threads, relaxed: relaxedFor(o.simd) }));
    try {
      const model = attemptSync(`cannot load checkpoint ${path}`, () => modelFromCheckpoint(kernels, ckpt));
      const r = attemptSync('cannot evaluate', () => {
        if (trainingLayout) return evaluateLayout(model, ids, cfg.batch || 32, T);
        const t = evaluateText(model, ids, o.batch || 1, T);
        const how = t.streams === 1 ? 'one stream from the zero state' : `${t.streams} streams from the zero state, the last one to the end`;
        return { ...t, how: `every character after the first: ${how}, windows of ${t.window} with the state carried` };
      });
      process.stdout.write(
        `${r.loss.toFixed(4)} nats/char, ${(r.loss / Math.LN2).toFixed(4)} bits/char over ${r.chars.toLocaleString('en-US')} characters of ${what} (${r.how})\n`,
      );
    } finally {
      kernels.dispose();
    }
  });
}

async function textIds(ckpt: Checkpoint, vocab: Vocab, arg: string | undefined, ui: Ui): Promise<{ ids: Ids; what: string; split: boolean }> {
  const encode = (bytes: Uint8Array) =>
    attemptSync('cannot evaluate the text', () => {
      try {
        return encodeUtf8(bytes, vocab).ids;
      } catch (e) {
        throw new CliError((e as Error).message, 'the model can only score characters it was trained on');
      }
    });
  if (arg !== undefined) {
    const bytes = await attempt('cannot read the text', () => readCorpus(arg, process.stdin));
    return { ids: encode(bytes), what: arg === '-' ? 'standard input' : arg, split: false };
  }
  const c = ckpt.corpus;
  if (!c) throw CliError.usage('the checkpoint does not record its corpus', 'give a text to evaluate', 'cannot evaluate');
  const corpus = await readCorpusArg(c.source, ui).catch(() => null);
  if (!corpus || corpus.sha256 !== c.sha256) {
    throw CliError.usage(`the checkpoint's corpus ${c.source} is not found here, or has changed`, 'give a text to evaluate', 'cannot evaluate');
  }
  const valFrac = Number((ckpt.config as { valFrac?: number }).valFrac ?? 0.1);
  const val = splitIds(encode(corpus.bytes), valFrac).val;
  if (!val) throw CliError.usage('the checkpoint was trained without a validation split', 'give a text to evaluate', 'cannot evaluate');
  return { ids: val, what: `the validation split of ${c.source}`, split: true };
}

/** Mean loss over ids laid out as training lays out validation: B streams of T-windows from the zero state, the
 *  characters that do not fill a last window of every stream left out (B and T shrink to fit a short text). */
function evaluateLayout(model: CharRNN, ids: Ids, B: number, T: number): { loss: number; chars: number; how: string } {
  if (ids.length < 2) throw new CliError(`the text has ${ids.length} character${ids.length === 1 ? '' : 's'}`, 'it needs at least 2: one to read, one to predict');
  if (ids.length - 1 < B * T) B = Math.max(1, Math.floor((ids.length - 1) / T));
  if (ids.length - 1 < B * T) T = ids.length - 1;
  const k = model.kernels;
  const batches = new Batches(ids, B, T, 'text');
  const x = k.allocI32(B * T), y = k.allocI32(B * T); // (T*B)
  const state = model.newState(B); // (L, S, B, H)
  let total = 0;
  for (let w = 0; w < batches.numWindows; w++) {
    batches.fill(x, y, w);
    total += model.forward(x, y, T, B, state, { training: false }) * B * T;
  }
  const chars = batches.numWindows * B * T;
  const left = ids.length - 1 - chars;
  return { loss: total / chars, chars, how: `the training layout, ${B} streams x ${T}, as training measured it${left ? `; the last ${left.toLocaleString('en-US')} left out, as in training` : ''}` };
}
