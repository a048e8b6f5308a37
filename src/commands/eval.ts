/**
 * `eval`: the loss of a text under a model, in nats and bits per character, as its phases: plan (the checkpoint, a
 * run folder's too, and the options), set up (the text or the checkpoint's validation split as ids, the backend and
 * the model), run (the evaluation: returns { nats, bpc, chars, what, how }), report (one line, or JSON, on io.out).
 *
 * A text counts every character: one stream from the zero state, in windows with the state carried
 * (train/evaluate.ts), so the figure depends on no layout; --batch splits it into streams for speed, still
 * counting every character.
 * Without a text, the checkpoint's own validation split (its corpus found where the checkpoint says, or read from
 * --corpus FILE, and matching its SHA-256: common/recorded-corpus.ts), laid out as training laid it out (B streams
 * of T-windows, the remainder left out as training leaves it), which reproduces the validation loss training
 * reported; the line says so. --batch or --seq there count every character instead, as for a text.
 * Texts and the corpus are prepared as the checkpoint's corpus was (common/text.ts); a corpus of several files is
 * read again from its recorded names, each a document as in training. Reading, encoding and evaluating a large text
 * show progress with an ETA. A line-mode model is scored per line (eval-lines.ts).
 */
import type { Checkpoint, CorpusFile } from '../checkpoint/schema.js';
import { modelFromCheckpoint } from '../checkpoint/run-state.js';
import { Batches, splitIds } from '../data/batches.js';
import { joinLineParts } from '../data/line-corpus.js';
import { prepareBytes } from '../data/prepare.js';
import { Vocab, type Ids } from '../data/vocab.js';
import { attemptSync, CharnnError } from '../errors.js';
import type { Kernels } from '../math/kernels.js';
import type { CharRNN } from '../model/char-rnn.js';
import { isLineModel } from '../model/config.js';
import type { EVAL, Values } from '../options.js';
import { evaluateText, evaluateWindows } from '../train/evaluate.js';
import { startBackend } from './common/backend.js';
import { chooseCheckpoint, type ChosenCheckpoint } from './common/checkpoint-arg.js';
import { encodeCorpus } from './common/prepared-corpus.js';
import { givenCorpus, recordedCorpus, type FoundCorpus, type Wording } from './common/recorded-corpus.js';
import { readTextBytes, textName, trainedPreparation } from './common/text.js';
import { evaluateLines } from './eval-lines.js';
import { human } from './format.js';
import type { Io } from './io.js';

export type EvalValues = Values<typeof EVAL>;

export interface EvalResult {
  /** mean loss per character, nats */
  nats: number;
  bpc: number;
  /** characters scored */
  chars: number;
  /** what was scored: 'standard input', a file, 'the validation split of corpus.txt' */
  what: string;
  /** how it was laid out, in words */
  how: string;
  /** which protocol ran: one stream with its state carried (a text), training's layout (the validation split),
   *  random windows each from the zero state (--windows: nanoGPT's), or lines (a line-mode model) */
  protocol: 'stream' | 'training-layout' | 'windows' | 'lines';
  /** lines scored (line-mode models) */
  lines?: number;
}

interface EvalPlan {
  o: EvalValues;
  given: Set<keyof EvalValues>;
  chosen: ChosenCheckpoint;
  vocab: Vocab;
  /** the text to score, or undefined: the checkpoint's validation split */
  text: string | undefined;
  lineModel: boolean;
}

const WHAT = 'cannot evaluate';
const CORPUS_MISSING: Wording = { what: WHAT, hint: (sha) => `give --corpus FILE, any copy with SHA-256 ${sha}, or a text to evaluate` };

function planEval(values: EvalValues, given: Set<keyof EvalValues>, checkpointArg: string, text: string | undefined, io: Io): EvalPlan {
  if (text !== undefined && given.has('corpus')) throw CharnnError.usage('a text and --corpus both given', 'a text is scored whole; --corpus gives the validation split of the training corpus', WHAT);
  for (const k of ['count', 'seed'] as const) {
    if (given.has(k) && values.windows === 0) throw CharnnError.usage(`--${k} is for --windows`, 'add --windows N (e.g. 256), or drop it', WHAT);
  }
  if (values.windows > 0 && (given.has('batch') || given.has('seq'))) throw CharnnError.usage(`--windows with --${given.has('batch') ? 'batch' : 'seq'}`, 'random windows have their own layout: drop it', WHAT);
  const chosen = chooseCheckpoint(checkpointArg, io, WHAT);
  const ckpt = chosen.checkpoint;
  const lineModel = isLineModel(ckpt.model);
  if (lineModel && values.windows > 0) throw CharnnError.usage('--windows is for stream models; a line-mode model is scored line by line', 'drop it', WHAT);
  return { o: { ...values }, given, chosen, vocab: Vocab.fromChars(ckpt.vocab), text, lineModel };
}

/** What the evaluation reads: a stream model's ids, or a line-mode model's prepared list. */
interface EvalSetup {
  plan: EvalPlan;
  kernels: Kernels;
  model: CharRNN;
  what: string;
  /** stream models */
  ids?: Ids;
  /** the validation split, in training's layout (neither --batch nor --seq given) */
  trainingLayout?: boolean;
  docStarts?: number[];
  /** line-mode models: the list, prepared and joined as training joined it */
  list?: Uint8Array;
}

/** Reads what is scored, then starts the backend. The caller disposes `kernels` (evaluate() does). */
async function setUpEval(plan: EvalPlan, io: Io): Promise<EvalSetup> {
  const { chosen, o, given } = plan;
  const data = plan.lineModel ? await listBytes(plan, io) : await textIds(plan, io);
  const kernels = await startBackend(o, given.has('backend'), io);
  try {
    const model = attemptSync(`cannot load checkpoint ${chosen.path}`, () => modelFromCheckpoint(kernels, chosen.checkpoint));
    return { plan, kernels, model, ...data };
  } catch (e) {
    kernels.dispose();
    throw e;
  }
}

function runEval(s: EvalSetup, io: Io): EvalResult {
  const { plan, model } = s;
  const { o, chosen } = plan;
  const cfg = chosen.checkpoint.config as { batch?: number; seq?: number };
  const T = o.seq || cfg.seq || 64;
  if (s.list) {
    // --batch (lines in parallel) and --seq change only the speed
    const r = attemptSync(WHAT, () => evaluateLines(model, chosen.checkpoint, plan.vocab, s.list!, plan.text === undefined, o.batch || cfg.batch || 32, T));
    return { nats: r.loss, bpc: r.loss / Math.LN2, chars: r.chars, what: s.what, how: `${r.lines.toLocaleString('en-US')} lines, end tokens included`, protocol: 'lines', lines: r.lines };
  }
  const ids = s.ids!;
  const task = io.task('evaluating');
  const onWindow = (done: number, total: number) => task.update(done, total, `${human(done)} of ${human(total)} characters`);
  try {
    const r = attemptSync(WHAT, (): { loss: number; chars: number; how: string; protocol: EvalResult['protocol'] } => {
      if (o.windows > 0) {
        const w = evaluateWindows(model, ids, o.windows, o.count, o.seed, 64, onWindow);
        const nano = o.windows === 256 && o.count === 12800 ? "nanoGPT's estimate_loss protocol" : "nanoGPT's estimate_loss protocol with other sizes (it reads 12,800 windows of 256)";
        return { ...w, protocol: 'windows', how: `${o.count.toLocaleString('en-US')} random windows of ${o.windows} characters (seed ${o.seed}), each from the zero state, every position counted: ${nano}` };
      }
      if (s.trainingLayout) return { ...evaluateLayout(model, ids, cfg.batch || 32, T, s.docStarts ?? [], onWindow), protocol: 'training-layout' };
      const t = evaluateText(model, ids, o.batch || 1, T, onWindow);
      const how = t.streams === 1 ? 'one stream from the zero state' : `${t.streams} streams from the zero state, the last one to the end`;
      return { ...t, protocol: 'stream', how: `every character after the first: ${how}, windows of ${t.window} with the state carried` };
    });
    return { nats: r.loss, bpc: r.loss / Math.LN2, chars: r.chars, what: s.what, how: r.how, protocol: r.protocol };
  } finally {
    task.stop();
  }
}

/** One line on io.out: the figures, what was scored and how; `--json`: one object (stream models). */
async function reportEval(plan: EvalPlan, r: EvalResult, io: Io): Promise<void> {
  const figures = `${r.nats.toFixed(4)} nats/char, ${r.bpc.toFixed(4)} bits/char over ${r.chars.toLocaleString('en-US')} characters`;
  if (plan.o.json) {
    const { windows, count, seed } = plan.o;
    const extra = r.lines !== undefined ? { lines: r.lines } : windows > 0 ? { windows: { length: windows, count, seed } } : {};
    await io.out.write(JSON.stringify({ checkpoint: plan.chosen.path, text: r.what, nats: r.nats, bpc: r.bpc, chars: r.chars, how: r.how, protocol: r.protocol, ...extra }) + '\n');
  } else if (r.lines !== undefined) await io.out.write(`${figures} (${r.how}) of ${r.what}\n`);
  else await io.out.write(`${figures} of ${r.what} (${r.how})\n`);
}

/** The whole command: plan, set up, run, report; returns the result. */
export async function evaluate(values: EvalValues, given: Set<keyof EvalValues>, checkpointArg: string, text: string | undefined, io: Io): Promise<EvalResult> {
  const plan = planEval(values, given, checkpointArg, text, io);
  const s = await setUpEval(plan, io);
  try {
    const r = runEval(s, io);
    await reportEval(plan, r, io);
    return r;
  } finally {
    s.kernels.dispose();
  }
}

/** The checkpoint's corpus, as found: the one named by --corpus, else where the checkpoint says. */
async function trainingCorpus(ckpt: Checkpoint, corpusArg: string, io: Io): Promise<FoundCorpus> {
  const c = ckpt.corpus;
  if (!c) throw CharnnError.usage('the checkpoint does not record its corpus', 'give a text to evaluate', WHAT);
  return corpusArg ? givenCorpus(c, corpusArg, io, CORPUS_MISSING) : recordedCorpus(c, io, CORPUS_MISSING);
}

/** A list's bytes to evaluate, prepared as training prepared them (train --lines joins several files into one
 *  list): the given text, or the checkpoint's corpus. */
async function listBytes(plan: EvalPlan, io: Io): Promise<{ list: Uint8Array; what: string }> {
  const ckpt = plan.chosen.checkpoint;
  const prep = trainedPreparation(ckpt);
  const asList = (parts: Uint8Array[]) => joinLineParts(parts.map((p) => prepareBytes(p, prep)));
  if (plan.text !== undefined) return { list: asList([await readTextBytes(plan.text, io)]), what: textName(plan.text) };
  const found = await trainingCorpus(ckpt, plan.o.corpus, io);
  return { list: asList(found.parts), what: `the validation lines of ${found.name}` };
}

/** A stream model's ids: the text's, or the validation split of the checkpoint's corpus (with where its documents
 *  start), each prepared as the training corpus was. */
async function textIds(plan: EvalPlan, io: Io): Promise<{ ids: Ids; what: string; trainingLayout: boolean; docStarts: number[] }> {
  const ckpt = plan.chosen.checkpoint;
  const prep = trainedPreparation(ckpt);
  const encode = (parts: Uint8Array[], files: CorpusFile[]) => {
    try {
      return encodeCorpus(parts, files, prep, io.task('encoding the text'), plan.vocab);
    } catch (e) {
      if (e instanceof CharnnError && /not in the vocabulary/.test(e.message)) throw new CharnnError(e.message.replace(/^cannot use the corpus: /, ''), 'the model can only score characters it was trained on', 'cannot evaluate the text');
      throw e;
    }
  };
  if (plan.text !== undefined) {
    const bytes = await readTextBytes(plan.text, io);
    return { ids: encode([bytes], [{ name: plan.text, bytes: bytes.length, sha256: '' }]).ids, what: textName(plan.text), trainingLayout: false, docStarts: [] };
  }
  const found = await trainingCorpus(ckpt, plan.o.corpus, io);
  const valFrac = Number((ckpt.config as { valFrac?: number }).valFrac ?? 0.1);
  const all = encode(found.parts, found.files);
  const val = splitIds(all.ids, valFrac).val;
  if (!val) throw CharnnError.usage('the checkpoint was trained without a validation split', 'give a text to evaluate', WHAT);
  const ntrain = all.ids.length - val.length;
  const docStarts = all.docStarts.filter((p) => p > ntrain).map((p) => p - ntrain);
  // the validation split as training measured it, unless a layout is asked for
  const trainingLayout = !plan.given.has('batch') && !plan.given.has('seq');
  return { ids: val, what: `the validation split of ${found.name}`, trainingLayout, docStarts };
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
