/**
 * `charnn eval <checkpoint> [text|-]`: the loss of a text under the model, in nats and bits per character.
 * A text counts every character: one stream from the zero state, in windows with the state carried
 * (train/evaluate.ts), so the figure depends on no layout; --batch splits it into streams for speed, still
 * counting every character.
 * Without a text, the checkpoint's own validation split (its corpus must be found and match its SHA-256), laid out
 * as training laid it out (B streams of T-windows, the remainder left out as training leaves it), which
 * reproduces the validation loss training reported; the line says so. --batch or --seq there count every
 * character instead, as for a text.
 * The corpus of the split is looked for where the checkpoint says (its source, then its absolute path; its
 * recorded file names for several files) or read from --corpus FILE, and must match the recorded SHA-256.
 * Texts and the corpus are prepared as the checkpoint's corpus was (--newline, --nfc, --min-char-count: characters
 * the model lacks read as its unknown symbol); a corpus of several files is read again from its recorded names,
 * each a document as in training. Reading, encoding and evaluating a large text show progress with an ETA.
 */
import type { Command } from 'commander';
import { loadCheckpoint } from '../checkpoint/io.js';
import { createHash } from 'node:crypto';
import type { Checkpoint, CorpusInfo } from '../checkpoint/schema.js';
import { CorpusError } from '../corpus/errors.js';
import { Batches, splitIds } from '../data/batches.js';
import { readCorpus } from '../data/corpus.js';
import { prepareBytes, preparationOf, type Preparation } from '../data/prepare.js';
import { joinLineParts } from '../data/line-corpus.js';
import { Vocab, type Ids } from '../data/vocab.js';
import type { CorpusFile } from '../checkpoint/schema.js';
import { encodeCorpus } from '../commands/common/prepared-corpus.js';
import { createKernels } from '../math/backend.js';
import { backendOptions, chooseBackend } from '../commands/common/backend.js';
import type { CharRNN } from '../model/char-rnn.js';
import { attempt, attemptSync, CharnnError } from '../errors.js';
import { readCorpusArg } from './inputs.js';
import { addOptions, COMMON, EVAL, readOptions, type Values } from './options.js';
import { evaluateLines } from './eval-lines.js';
import { isLineModel } from '../model/config.js';
import { evaluateText } from '../train/evaluate.js';
import { modelFromCheckpoint } from '../checkpoint/run-state.js';
import { human, Ui } from './ui.js';

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
    if (textArg !== undefined && given.has('corpus')) throw CharnnError.usage('a text and --corpus both given', 'a text is scored whole; --corpus gives the validation split of the training corpus', 'cannot evaluate');
    const ckpt = loadCheckpoint(path);
    const vocab = Vocab.fromChars(ckpt.vocab);
    if (isLineModel(ckpt.model)) return evalLineModel(ckpt, vocab, path, textArg, o, given.has('backend'), ui);
    const { ids, what, split, docStarts } = await textIds(ckpt, vocab, textArg, o.corpus || undefined, ui);
    const cfg = ckpt.config as { batch?: number; seq?: number };
    const T = o.seq || cfg.seq || 64;
    // the validation split as training measured it, unless a layout is asked for
    const trainingLayout = split && !given.has('batch') && !given.has('seq');
    o.backend = chooseBackend(o.backend, given.has('backend'), ui);
    const kernels = await attempt(`cannot start the ${o.backend} backend`, () => createKernels(o.backend, backendOptions(o, process.env)));
    try {
      const model = attemptSync(`cannot load checkpoint ${path}`, () => modelFromCheckpoint(kernels, ckpt));
      const task = ui.task('evaluating');
      const onWindow = (done: number, total: number) => task.update(done, total, `${human(done)} of ${human(total)} characters`);
      const r = attemptSync('cannot evaluate', () => {
        if (trainingLayout) return evaluateLayout(model, ids, cfg.batch || 32, T, docStarts, onWindow);
        const t = evaluateText(model, ids, o.batch || 1, T, onWindow);
        const how = t.streams === 1 ? 'one stream from the zero state' : `${t.streams} streams from the zero state, the last one to the end`;
        return { ...t, how: `every character after the first: ${how}, windows of ${t.window} with the state carried` };
      });
      task.stop();
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
async function evalLineModel(ckpt: Checkpoint, vocab: Vocab, path: string, textArg: string | undefined, o: Values<typeof EVAL>, backendGiven: boolean, ui: Ui): Promise<void> {
  const { bytes, what } = await textBytes(ckpt, textArg, o.corpus || undefined, ui);
  const cfg = ckpt.config as { batch?: number; seq?: number };
  o.backend = chooseBackend(o.backend, backendGiven, ui);
  const kernels = await attempt(`cannot start the ${o.backend} backend`, () => createKernels(o.backend, backendOptions(o, process.env)));
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

/** A list's bytes to evaluate, prepared as training prepared them (train --lines joins several files into one
 *  list): the given text, or the checkpoint's corpus (found and matching its SHA-256). */
async function textBytes(ckpt: Checkpoint, arg: string | undefined, corpusArg: string | undefined, ui: Ui): Promise<{ bytes: Uint8Array; what: string }> {
  const prep = preparationOf(ckpt.corpus?.preparation ?? (ckpt.config as Partial<Preparation>));
  const asList = (parts: Uint8Array[]) => joinLineParts(parts.map((p) => prepareBytes(p, prep)));
  if (arg !== undefined) {
    const bytes = await attempt('cannot read the text', () => readCorpus(arg, process.stdin));
    return { bytes: asList([bytes]), what: arg === '-' ? 'standard input' : arg };
  }
  const c = ckpt.corpus;
  if (!c) throw CharnnError.usage('the checkpoint does not record its corpus', 'give a text to evaluate', 'cannot evaluate');
  const found = corpusArg !== undefined ? await givenCorpus(c, corpusArg) : await recordedCorpus(c, ui);
  return { bytes: asList(found.parts), what: `the validation lines of ${found.name}` };
}

async function textIds(ckpt: Checkpoint, vocab: Vocab, arg: string | undefined, corpusArg: string | undefined, ui: Ui): Promise<{ ids: Ids; what: string; split: boolean; docStarts: number[] }> {
  // the text is prepared as the training corpus was (newlines, NFC, rare characters to the unknown symbol)
  const prep = preparationOf(ckpt.corpus?.preparation ?? (ckpt.config as Partial<Preparation>));
  const encode = (parts: Uint8Array[], files: CorpusFile[]) => {
    try {
      return encodeCorpus(parts, files, prep, ui.task('encoding the text'), vocab);
    } catch (e) {
      if (e instanceof CharnnError && /not in the vocabulary/.test(e.message)) throw new CharnnError(e.message.replace(/^cannot use the corpus: /, ''), 'the model can only score characters it was trained on', 'cannot evaluate the text');
      throw e;
    }
  };
  if (arg !== undefined) {
    const bytes = await attempt('cannot read the text', () => readCorpus(arg, process.stdin));
    return { ids: encode([bytes], [{ name: arg, bytes: bytes.length, sha256: '' }]).ids, what: arg === '-' ? 'standard input' : arg, split: false, docStarts: [] };
  }
  const c = ckpt.corpus;
  if (!c) throw CharnnError.usage('the checkpoint does not record its corpus', 'give a text to evaluate', 'cannot evaluate');
  const found = corpusArg !== undefined ? await givenCorpus(c, corpusArg) : await recordedCorpus(c, ui);
  const valFrac = Number((ckpt.config as { valFrac?: number }).valFrac ?? 0.1);
  const all = encode(found.parts, found.files);
  const val = splitIds(all.ids, valFrac).val;
  if (!val) throw CharnnError.usage('the checkpoint was trained without a validation split', 'give a text to evaluate', 'cannot evaluate');
  const ntrain = all.ids.length - val.length;
  const docStarts = all.docStarts.filter((p) => p > ntrain).map((p) => p - ntrain);
  return { ids: val, what: `the validation split of ${found.name}`, split: true, docStarts };
}

/** The training corpus as found: its files' bytes (one part per recorded file, each a document), for display a name. */
interface FoundCorpus {
  parts: Uint8Array[];
  files: CorpusFile[];
  name: string;
}

const short = (sha: string) => sha.slice(0, 12) + '…';

/** --corpus FILE: any copy of the training corpus, recognised by its SHA-256 (of several files: their bytes end to
 *  end, cut back into the recorded files by their sizes so each stays a document). */
async function givenCorpus(c: CorpusInfo, file: string): Promise<FoundCorpus> {
  const bytes = await attempt(`cannot read the corpus ${file === '-' ? 'from standard input' : file}`, () => readCorpus(file, process.stdin));
  const sha = createHash('sha256').update(bytes).digest('hex');
  if (sha !== c.sha256) {
    throw new CharnnError(
      `${file === '-' ? 'standard input' : file} is not the corpus this checkpoint was trained on (SHA-256 ${short(sha)}, ${bytes.length} bytes; the checkpoint's ${c.source}: ${short(c.sha256)}, ${c.bytes} bytes)`,
      'pass the same text, or give it as a text to score whole: charnn eval CHECKPOINT FILE',
      'cannot evaluate',
    );
  }
  const name = file === '-' ? 'standard input' : file;
  const recorded = c.files ?? [];
  if (recorded.length > 1 && recorded.reduce((s, f) => s + f.bytes, 0) === bytes.length) {
    let at = 0;
    const parts = recorded.map((f) => bytes.subarray(at, (at += f.bytes)));
    return { parts, files: recorded, name };
  }
  return { parts: [bytes], files: [{ name, bytes: bytes.length, sha256: sha }], name };
}

/** The corpus where the checkpoint says it was: several files by their recorded names; one by its source as given
 *  (relative to here, or a registry name), then the absolute path recorded at training time. Each miss is said,
 *  so the error explains what was tried. */
async function recordedCorpus(c: CorpusInfo, ui: Ui): Promise<FoundCorpus> {
  const tried: string[] = [];
  const many = c.files && c.files.length > 1 ? c.files.map((f) => f.name) : null;
  const candidates: Array<string | string[]> = many ? [many] : [c.source, c.path].filter((x, i, all): x is string => x !== undefined && x !== '-' && all.indexOf(x) === i);
  for (const cand of candidates) {
    const label = Array.isArray(cand) ? `its ${cand.length} files` : cand;
    try {
      const r = await readCorpusArg(cand, ui);
      if (r.sha256 === c.sha256) return { parts: r.parts, files: r.files, name: c.source };
      tried.push(`${label} ${Array.isArray(cand) ? 'have' : 'has'} changed (SHA-256 ${short(r.sha256)}, trained on ${short(c.sha256)})`);
    } catch (e) {
      const code = (e as { cause?: unknown }).cause instanceof CorpusError ? ((e as { cause: CorpusError }).cause.code) : undefined;
      if (code === 'unavailable') tried.push(`the registry corpus ${label} is not cached here and could not be downloaded: the network failed (offline?)`);
      else if (code === 'not-found') tried.push(`${label} is not found`);
      else tried.push(`${label}: ${(e as Error).message}`);
    }
  }
  if (c.source === '-' && !c.path) tried.unshift('it was read from standard input');
  throw CharnnError.usage(
    `the checkpoint's corpus is not available: ${tried.join('; ')}`,
    `give --corpus FILE, any copy with SHA-256 ${short(c.sha256)}, or a text to evaluate`,
    'cannot evaluate',
  );
}

/** Mean loss over ids laid out as training lays out validation: B streams of T-windows from the zero state, the
 *  characters that do not fill a last window of every stream left out (B and T shrink to fit a short text). */
function evaluateLayout(model: CharRNN, ids: Ids, B: number, T: number, docStarts: readonly number[], onWindow: (done: number, total: number) => void): { loss: number; chars: number; how: string } {
  if (ids.length < 2) throw new CharnnError(`the text has ${ids.length} character${ids.length === 1 ? '' : 's'}`, 'it needs at least 2: one to read, one to predict');
  if (ids.length - 1 < B * T) B = Math.max(1, Math.floor((ids.length - 1) / T));
  if (ids.length - 1 < B * T) T = ids.length - 1;
  const k = model.kernels;
  const batches = new Batches(ids, B, T, 'text', docStarts);
  const x = k.allocI32(B * T), y = k.allocI32(B * T); // (T*B)
  const state = model.newState(B); // (L, S, B, H)
  const flags = new Uint8Array(B);
  const H = model.config.hidden, rows = model.stateSize(B) / (B * H); // L*S
  let total = 0;
  for (let w = 0; w < batches.numWindows; w++) {
    batches.fill(x, y, w);
    // a document (file) starting in this window: its stream starts from zero, as in training
    if (batches.hasDocuments && batches.resets(flags, w)) {
      for (let b = 0; b < B; b++) if (flags[b]) for (let r = 0; r < rows; r++) state.fill(0, (r * B + b) * H, (r * B + b + 1) * H);
    }
    total += model.forward(x, y, T, B, state, { training: false }) * B * T;
    onWindow((w + 1) * B * T, batches.numWindows * B * T);
  }
  const chars = batches.numWindows * B * T;
  const left = ids.length - 1 - chars;
  return { loss: total / chars, chars, how: `the training layout, ${B} streams x ${T}, as training measured it${left ? `; the last ${left.toLocaleString('en-US')} left out, as in training` : ''}` };
}
