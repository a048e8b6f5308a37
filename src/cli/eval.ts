/**
 * `charnn eval <checkpoint> [text|-]`: the loss of a text under the model, in nats and bits per character.
 * Without a text, the checkpoint's own validation split (its corpus must be found and match its SHA-256), which
 * reproduces the validation loss training reported. The text is laid out as training lays out validation:
 * B streams read in windows of T, state carried from zero, no dropout.
 */
import type { Command } from 'commander';
import { loadCheckpoint } from '../checkpoint/io.js';
import type { Checkpoint } from '../checkpoint/schema.js';
import { Batches, splitIds } from '../data/batches.js';
import { readCorpus } from '../data/corpus.js';
import { encodeUtf8, Vocab, type Ids } from '../data/vocab.js';
import { createKernels } from '../math/backend.js';
import { backendOptions, chooseBackend } from './backend-choice.js';
import type { CharRNN } from '../model/char-rnn.js';
import { attempt, attemptSync, CliError } from './errors.js';
import { readCorpusArg } from './inputs.js';
import { addOptions, COMMON, EVAL, readOptions } from './options.js';
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
    const { ids, what } = await textIds(ckpt, vocab, textArg, ui);
    const cfg = ckpt.config as { batch?: number; seq?: number };
    o.backend = chooseBackend(o.backend, given.has('backend'), ui);
    const kernels = await attempt(`cannot start the ${o.backend} backend`, () => createKernels(o.backend, backendOptions(o)));
    try {
      const model = attemptSync(`cannot load checkpoint ${path}`, () => modelFromCheckpoint(kernels, ckpt));
      const r = attemptSync('cannot evaluate', () => evaluate(model, ids, o.batch || cfg.batch || 32, o.seq || cfg.seq || 64));
      process.stdout.write(
        `${r.loss.toFixed(4)} nats/char, ${(r.loss / Math.LN2).toFixed(4)} bits/char over ${r.chars.toLocaleString('en-US')} characters of ${what}\n`,
      );
    } finally {
      kernels.dispose();
    }
  });
}

async function textIds(ckpt: Checkpoint, vocab: Vocab, arg: string | undefined, ui: Ui): Promise<{ ids: Ids; what: string }> {
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
    return { ids: encode(bytes), what: arg === '-' ? 'standard input' : arg };
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
  return { ids: val, what: `the validation split of ${c.source}` };
}

/** Mean loss over ids laid out as B streams of T-windows (B and T shrink to fit a short text). */
function evaluate(model: CharRNN, ids: Ids, B: number, T: number): { loss: number; chars: number } {
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
  return { loss: total / chars, chars };
}
