/**
 * `score`: how likely a text is under a model, as records: per line (`--by line`, the default for line-mode
 * models) or for the whole text (`--by text`, the default otherwise). Phases: plan (the checkpoint, a run folder's
 * too, and --by), set up (the text read and prepared as the checkpoint's corpus was, cut into units; the backend and
 * the model), run (the records, in input order or --sort'ed), report (JSON lines on io.out, stopping when the
 * reader goes).
 * Each record: text, characters (scored), nats (their total), nats_per_char, bits_per_char, perplexity, and with
 * --per-char each character's surprisal.
 *
 * What is scored: the whole text from its second character on, given the first (the predictions `eval` counts,
 * so the figures agree with it); a line with its line break, given a line break before it (the line as a line
 * of its own; each line from a fresh state, so a line's score never depends on its neighbours or on --sort).
 */
import { modelFromCheckpoint } from '../checkpoint/run-state.js';
import { Vocab } from '../data/vocab.js';
import { attemptSync, CharnnError } from '../errors.js';
import type { Kernels } from '../math/kernels.js';
import { isLineModel } from '../model/config.js';
import type { SCORE, Values } from '../options.js';
import { Scorer } from '../sample/score.js';
import { startBackend } from './common/backend.js';
import { chooseCheckpoint, type ChosenCheckpoint } from './common/checkpoint-arg.js';
import { encodeKnown, readTextAsTrained } from './common/text.js';
import type { Io } from './io.js';

export type ScoreValues = Values<typeof SCORE>;

/** One record; figures rounded to 6 decimals (the per-char surprisals sum to `nats` within rounding). */
interface ScoreRecord {
  line?: number;
  text: string;
  characters: number;
  nats: number;
  nats_per_char: number;
  bits_per_char: number;
  perplexity: number;
  per_char?: Array<{ char: string; nats: number }>;
}

interface ScorePlan {
  o: ScoreValues;
  given: Set<keyof ScoreValues>;
  chosen: ChosenCheckpoint;
  vocab: Vocab;
  text: string;
  /** a line-mode model (train --lines): each line starts from its start state after a line break */
  lineModel: boolean;
  byLine: boolean;
}

/** What is scored: `ids` given `context`. */
interface Unit {
  line?: number;
  text: string;
  context: number[];
  ids: number[];
}

interface ScoreSetup {
  plan: ScorePlan;
  units: Unit[];
  kernels: Kernels;
  scorer: Scorer;
}

const WHAT = 'cannot score';

function planScore(values: ScoreValues, given: Set<keyof ScoreValues>, checkpointArg: string, text: string, io: Io): ScorePlan {
  const chosen = chooseCheckpoint(checkpointArg, io, WHAT);
  const lineModel = isLineModel(chosen.checkpoint.model);
  const byLine = values.by ? values.by === 'line' : lineModel;
  return { o: { ...values }, given, chosen, vocab: Vocab.fromChars(chosen.checkpoint.vocab), text, lineModel, byLine };
}

/** Reads the text, prepared as the training corpus was, into units; then starts the backend. The caller disposes
 *  `kernels` (score() does). */
async function setUpScore(plan: ScorePlan, io: Io): Promise<ScoreSetup> {
  const { chosen, vocab, o, given } = plan;
  const text = await readTextAsTrained(plan.text, chosen.checkpoint, vocab, io);
  const units = plan.byLine ? lineUnits(text, vocab) : [textUnit(text, vocab)];
  const kernels = await startBackend(o, given.has('backend'), io);
  try {
    const model = attemptSync(`cannot load checkpoint ${chosen.path}`, () => modelFromCheckpoint(kernels, chosen.checkpoint));
    return { plan, units, kernels, scorer: new Scorer(model) };
  } catch (e) {
    kernels.dispose();
    throw e;
  }
}

/** The records: in input order, each scored when asked for (a long list streams), or all of them ranked from most
 *  to least likely per character (--sort). */
function runScore(s: ScoreSetup): Iterable<ScoreRecord> {
  const { plan, scorer } = s;
  const score = (u: Unit) => record(u, scorer.surprisals(u.context, u.ids, plan.lineModel && u.line !== undefined), plan.vocab, plan.o.perChar);
  if (plan.o.sort) return s.units.map(score).sort((a, b) => a.nats_per_char - b.nats_per_char || (a.line ?? 0) - (b.line ?? 0));
  return (function* () {
    for (const u of s.units) yield score(u);
  })();
}

/** One JSON line per record on io.out, until the reader goes. */
async function reportScore(records: Iterable<ScoreRecord>, io: Io): Promise<void> {
  for (const r of records) if (!(await io.out.write(JSON.stringify(r) + '\n'))) return;
}

/** The whole command: plan, set up, run, report. */
export async function score(values: ScoreValues, given: Set<keyof ScoreValues>, checkpointArg: string, text: string, io: Io): Promise<void> {
  const s = await setUpScore(planScore(values, given, checkpointArg, text, io), io);
  try {
    await reportScore(runScore(s), io);
  } finally {
    s.kernels.dispose();
  }
}

const r6 = (x: number) => Math.round(x * 1e6) / 1e6;

function record(u: Unit, s: Float64Array, vocab: Vocab, perChar: boolean): ScoreRecord {
  let nats = 0;
  for (const x of s) nats += x;
  const per = nats / s.length;
  const r: ScoreRecord = {
    ...(u.line !== undefined ? { line: u.line } : {}),
    text: u.text,
    characters: s.length,
    nats: r6(nats),
    nats_per_char: r6(per),
    bits_per_char: r6(per / Math.LN2),
    perplexity: r6(Math.exp(per)),
  };
  if (perChar) r.per_char = u.ids.map((id, i) => ({ char: vocab.decode([id]), nats: r6(s[i]) }));
  return r;
}

/** The whole text, scored from its second character on, given the first. */
function textUnit(text: string, vocab: Vocab): Unit {
  const ids = encodeKnown(text, vocab, (i) => `character ${i + 1}`, WHAT);
  if (ids.length < 2) throw new CharnnError(`the text has ${ids.length} character${ids.length === 1 ? '' : 's'}`, 'it needs at least 2: one to read, one to predict', WHAT);
  return { text, context: ids.slice(0, 1), ids: ids.slice(1) };
}

/** Each line (numbered from 1) with its line break, given a line break before it. */
function lineUnits(text: string, vocab: Vocab): Unit[] {
  const nl = vocab.idOf('\n');
  if (nl < 0) throw CharnnError.usage('the model has no line break in its vocabulary, so it cannot score lines', 'use --by text', WHAT);
  const lines = text.split('\n');
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop(); // the final line break ends the last line
  return lines.map((line, i) => ({ line: i + 1, text: line, context: [nl], ids: [...encodeKnown(line, vocab, () => `line ${i + 1}`, WHAT), nl] }));
}
