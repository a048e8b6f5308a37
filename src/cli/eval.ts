/**
 * `charnn eval <checkpoint> [text|-]`: the loss of a text under the model, in nats and bits per character.
 * A text counts every character: one stream from the zero state, in windows with the state carried
 * (train/evaluate.ts), so the figure depends on no layout; --batch splits it into streams for speed, still
 * counting every character.
 * Without a text, the checkpoint's own validation split (its corpus must be found and match its SHA-256), laid out
 * as training laid it out (B streams of T-windows, the remainder left out as training leaves it), which
 * reproduces the validation loss training reported; the line says so. --batch or --seq there count every
 * character instead, as for a text.
 * The corpus of the split is looked for where the checkpoint says (its source, then its absolute path) or read
 * from --corpus FILE, and must match the recorded SHA-256.
 */
import { createHash } from 'node:crypto';
import type { Command } from 'commander';
import { loadCheckpoint } from '../checkpoint/io.js';
import type { Checkpoint, CorpusInfo } from '../checkpoint/schema.js';
import { CorpusError } from '../corpus/errors.js';
import { Batches, splitIds } from '../data/batches.js';
import { readCorpus } from '../data/corpus.js';
import { encodeUtf8, Vocab, type Ids } from '../data/vocab.js';
import { createKernels } from '../math/backend.js';
import { backendOptions, chooseBackend } from './backend-choice.js';
import type { CharRNN } from '../model/char-rnn.js';
import { attempt, attemptSync, CliError } from './errors.js';
import { readCorpusArg } from './inputs.js';
import { addOptions, COMMON, EVAL, readOptions, type Values } from './options.js';
import { evaluateLines } from './eval-lines.js';
import { isLineModel } from '../model/config.js';
import { evaluateText } from '../train/evaluate.js';
import { modelFromCheckpoint } from './run-state.js';
import { Ui } from './ui.js';

export function registerEval(program: Command): void {
  const cmd = program
    .command('eval')
    .description('loss of a text under a model (nats and bits per character) on stdout')
    .argument('<checkpoint>', 'a checkpoint .json')
    .argument('[text]', "a text file or - for standard input (default: the checkpoint's validation split; see --corpus)");
  addOptions(cmd, EVAL);
  addOptions(cmd, COMMON);
  cmd.action(async (path: string, textArg: string | undefined, _o: unknown, self: Command) => {
    const common = readOptions(self, COMMON).values;
    const ui = new Ui({ color: common.color, quiet: common.quiet, verbose: common.verbose });
    const { values: o, given } = readOptions(self, EVAL);
    if (textArg !== undefined && given.has('corpus')) throw CliError.usage('a text and --corpus both given', 'a text is scored whole; --corpus gives the validation split of the training corpus', 'cannot evaluate');
    const ckpt = loadCheckpoint(path);
    const vocab = Vocab.fromChars(ckpt.vocab);
    if (isLineModel(ckpt.model)) return evalLineModel(ckpt, vocab, path, textArg, o, ui);
    const { ids, what, split } = await textIds(ckpt, vocab, textArg, o.corpus || undefined, ui);
    const cfg = ckpt.config as { batch?: number; seq?: number };
    const T = o.seq || cfg.seq || 64;
    // the validation split as training measured it, unless a layout is asked for
    const trainingLayout = split && !given.has('batch') && !given.has('seq');
    o.backend = chooseBackend(o.backend, given.has('backend'), ui);
    const kernels = await attempt(`cannot start the ${o.backend} backend`, () => createKernels(o.backend, backendOptions(o)));
    try {
      const model = attemptSync(`cannot load checkpoint ${path}`, () => modelFromCheckpoint(kernels, ckpt));
      const r = attemptSync('cannot evaluate', () => {
        if (trainingLayout) return evaluateLayout(model, ids, cfg.batch || 32, T);
        const t = evaluateText(model, ids, o.batch || 1, T);
        const how = t.streams === 1 ? 'one stream from the zero state' : `${t.streams} streams from the zero state, the last one to the end`;
        return { ...t, how: `every character after the first: ${how}, windows of ${t.window} with the state carried` };
      });
      process.stdout.write(
        o.json
          ? JSON.stringify({ checkpoint: path, text: what, nats: r.loss, bpc: r.loss / Math.LN2, chars: r.chars, how: r.how }) + '\n'
          : `${r.loss.toFixed(4)} nats/char, ${(r.loss / Math.LN2).toFixed(4)} bits/char over ${r.chars.toLocaleString('en-US')} characters of ${what} (${r.how})\n`,
      );
    } finally {
      kernels.dispose();
    }
  });
}

/** A line-mode model: the mean loss per character of lines, each from the start state, end tokens included
 *  (eval-lines.ts); --batch (lines in parallel) and --seq change only the speed. */
async function evalLineModel(ckpt: Checkpoint, vocab: Vocab, path: string, textArg: string | undefined, o: Values<typeof EVAL>, ui: Ui): Promise<void> {
  const { bytes, what } = await textBytes(ckpt, textArg, ui);
  const cfg = ckpt.config as { batch?: number; seq?: number };
  const kernels = await attempt(`cannot start the ${o.backend} backend`, () => createKernels(o.backend, backendOptions(o)));
  try {
    const model = attemptSync(`cannot load checkpoint ${path}`, () => modelFromCheckpoint(kernels, ckpt));
    const r = attemptSync('cannot evaluate', () => evaluateLines(model, ckpt, vocab, bytes, textArg === undefined, o.batch || cfg.batch || 32, o.seq || cfg.seq || 64));
    process.stdout.write(
      `${r.loss.toFixed(4)} nats/char, ${(r.loss / Math.LN2).toFixed(4)} bits/char over ${r.chars.toLocaleString('en-US')} characters ` +
        `(${r.lines.toLocaleString('en-US')} lines, end tokens included) of ${what}\n`,
    );
  } finally {
    kernels.dispose();
  }
}

/** The bytes to evaluate: the given text, or the checkpoint's corpus (found and matching its SHA-256). */
async function textBytes(ckpt: Checkpoint, arg: string | undefined, ui: Ui): Promise<{ bytes: Uint8Array; what: string }> {
  if (arg !== undefined) {
    const bytes = await attempt('cannot read the text', () => readCorpus(arg, process.stdin));
    return { bytes, what: arg === '-' ? 'standard input' : arg };
  }
  const c = ckpt.corpus;
  if (!c) throw CliError.usage('the checkpoint does not record its corpus', 'give a text to evaluate', 'cannot evaluate');
  const corpus = await readCorpusArg(c.source, ui).catch(() => null);
  if (!corpus || corpus.sha256 !== c.sha256) {
    throw CliError.usage(`the checkpoint's corpus ${c.source} is not found here, or has changed`, 'give a text to evaluate', 'cannot evaluate');
  }
  return { bytes: corpus.bytes, what: `the validation lines of ${c.source}` };
}

async function textIds(ckpt: Checkpoint, vocab: Vocab, arg: string | undefined, corpusArg: string | undefined, ui: Ui): Promise<{ ids: Ids; what: string; split: boolean }> {
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
  const found = corpusArg !== undefined ? await givenCorpus(c, corpusArg) : await recordedCorpus(c, ui);
  const valFrac = Number((ckpt.config as { valFrac?: number }).valFrac ?? 0.1);
  const val = splitIds(encode(found.bytes), valFrac).val;
  if (!val) throw CliError.usage('the checkpoint was trained without a validation split', 'give a text to evaluate', 'cannot evaluate');
  return { ids: val, what: `the validation split of ${found.name}`, split: true };
}

const short = (sha: string) => sha.slice(0, 12) + '…';

/** --corpus FILE: any copy of the training corpus, recognised by its SHA-256. */
async function givenCorpus(c: CorpusInfo, file: string): Promise<{ bytes: Uint8Array; name: string }> {
  const bytes = await attempt(`cannot read the corpus ${file === '-' ? 'from standard input' : file}`, () => readCorpus(file, process.stdin));
  const sha = createHash('sha256').update(bytes).digest('hex');
  if (sha !== c.sha256) {
    throw new CliError(
      `${file === '-' ? 'standard input' : file} is not the corpus this checkpoint was trained on (SHA-256 ${short(sha)}, ${bytes.length} bytes; the checkpoint's ${c.source}: ${short(c.sha256)}, ${c.bytes} bytes)`,
      'pass the same text, or give it as a text to score whole: charnn eval CHECKPOINT FILE',
      'cannot evaluate',
    );
  }
  return { bytes, name: file === '-' ? 'standard input' : file };
}

/** The corpus where the checkpoint says it was: its source as given (relative to here, or a registry name), then
 *  the absolute path recorded at training time. Each miss is said, so the error explains what was tried. */
async function recordedCorpus(c: CorpusInfo, ui: Ui): Promise<{ bytes: Uint8Array; name: string }> {
  const tried: string[] = [];
  const candidates = [c.source, c.path].filter((x, i, all): x is string => x !== undefined && x !== '-' && all.indexOf(x) === i);
  for (const cand of candidates) {
    try {
      const r = await readCorpusArg(cand, ui);
      if (r.sha256 === c.sha256) return { bytes: r.bytes, name: c.source };
      tried.push(`${cand} has changed (SHA-256 ${short(r.sha256)}, trained on ${short(c.sha256)})`);
    } catch (e) {
      const code = (e as { cause?: unknown }).cause instanceof CorpusError ? ((e as { cause: CorpusError }).cause.code) : undefined;
      if (code === 'unavailable') tried.push(`the registry corpus ${cand} is not cached here and could not be downloaded: the network failed (offline?)`);
      else if (code === 'not-found') tried.push(`${cand} is not found`);
      else tried.push(`${cand}: ${(e as Error).message}`);
    }
  }
  if (c.source === '-' && !c.path) tried.unshift('it was read from standard input');
  throw CliError.usage(
    `the checkpoint's corpus is not available: ${tried.join('; ')}`,
    `give --corpus FILE, any copy with SHA-256 ${short(c.sha256)}, or a text to evaluate`,
    'cannot evaluate',
  );
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
