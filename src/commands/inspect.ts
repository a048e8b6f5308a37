/**
 * `inspect`: look inside a model on a text (the picture that made char-rnn famous), as its phases: plan (options,
 * the checkpoint, a run folder's too, and the unit asked for), set up (the text read and prepared as the
 * checkpoint's corpus was; the backend and the model), run (the trace: activations, the correlated units, the
 * guesses), report (on io.out, or an HTML file):
 *   default        the text coloured by one hidden unit's activation (--layer, --unit): ANSI on a terminal (or
 *                  --ansi), else JSON lines {i, char, activation}
 *   --html FILE    the same as a self-contained HTML page (its path on io.out)
 *   --top-k K      the K units most correlated with --pattern (a regex marking characters), as JSON lines; with
 *                  --html, the page shows the strongest of them
 *   --per-char     the model's top 5 guesses for each character (JSON lines; with --html, in the tooltips)
 * Every character is traced from a zero state after a line break (the start the sampler uses), so each one has a
 * prediction.
 */
import { basename, resolve } from 'node:path';
import { writeFileAtomic } from '../checkpoint/io.js';
import { modelFromCheckpoint } from '../checkpoint/run-state.js';
import { Vocab } from '../data/vocab.js';
import { attemptSync, CharnnError } from '../errors.js';
import type { INSPECT, Values } from '../options.js';
import { correlatedUnits, trace, unitSeries } from '../sample/trace.js';
import { startBackend } from './common/backend.js';
import { chooseCheckpoint, type ChosenCheckpoint } from './common/checkpoint-arg.js';
import { encodeKnown, readTextAsTrained, textName } from './common/text.js';
import { renderAnsi, renderHtml } from './inspect-render.js';
import type { Io } from './io.js';

export type InspectValues = Values<typeof INSPECT>;

const WHAT = 'cannot inspect';

interface InspectPlan {
  o: InspectValues;
  given: Set<keyof InspectValues>;
  chosen: ChosenCheckpoint;
  vocab: Vocab;
  text: string;
  pattern: RegExp | null;
}

export interface InspectResult {
  /** the characters traced */
  chars: string[];
  /** the unit shown: the one asked for, else (with --pattern) the most correlated one */
  layer: number;
  unit: number;
  /** its activation at each character */
  act: ArrayLike<number>;
  /** --top-k: the units most correlated with --pattern, strongest first */
  top?: Array<{ layer: number; unit: number; r: number }>;
  /** the probability of each character, and the model's top guesses there */
  prob: ArrayLike<number>;
  guesses: Array<Array<[string, number]>>;
}

function planInspect(values: InspectValues, given: Set<keyof InspectValues>, checkpointArg: string, text: string, io: Io): InspectPlan {
  const o = { ...values };
  if (o.topK > 0 !== Boolean(o.pattern)) throw CharnnError.usage(o.topK > 0 ? '--top-k needs --pattern' : '--pattern needs --top-k K', 'e.g. --top-k 5 --pattern \'"[^"]*"\'', 'invalid options');
  let pattern: RegExp | null = null;
  if (o.pattern) {
    try {
      pattern = new RegExp(o.pattern, 'gmu');
    } catch (e) {
      throw CharnnError.usage((e as Error).message, 'a JavaScript regular expression, e.g. \'"[^"]*"\'', 'invalid --pattern');
    }
  }
  const chosen = chooseCheckpoint(checkpointArg, io, WHAT);
  const { layers: L, hidden: H } = chosen.checkpoint.model;
  if (o.layer >= L) throw CharnnError.usage(`--layer ${o.layer}: the model has ${L} layer${L > 1 ? 's' : ''} (0 to ${L - 1})`, undefined, 'invalid options');
  if (o.unit >= H) throw CharnnError.usage(`--unit ${o.unit}: the model has ${H} units per layer (0 to ${H - 1})`, undefined, 'invalid options');
  return { o, given, chosen, vocab: Vocab.fromChars(chosen.checkpoint.vocab), text, pattern };
}

/** What is traced: the text's ids, and the context it is read after. */
interface InspectSetup {
  plan: InspectPlan;
  context: number[];
  traced: number[];
}

async function setUpInspect(plan: InspectPlan, io: Io): Promise<InspectSetup> {
  const { vocab, chosen } = plan;
  const text = await readTextAsTrained(plan.text, chosen.checkpoint, vocab, io);
  const ids = encodeKnown(text, vocab, (i) => `character ${i + 1}`, WHAT);
  const nl = vocab.idOf('\n');
  // the first character needs something to be predicted from: a line break, else it is only read
  const context = nl >= 0 ? [nl] : ids.slice(0, 1);
  const traced = nl >= 0 ? ids : ids.slice(1);
  if (!traced.length) throw new CharnnError('the text is too short', 'give at least one character (two without a line break in the vocabulary)', WHAT);
  return { plan, context, traced };
}

/** The trace, on a backend started and released here. */
async function runInspect(s: InspectSetup, io: Io): Promise<InspectResult> {
  const { plan } = s;
  const { o, given, vocab, chosen } = plan;
  const kernels = await startBackend(o, given.has('backend'), io);
  let t: ReturnType<typeof trace>;
  try {
    const model = attemptSync(`cannot load checkpoint ${chosen.path}`, () => modelFromCheckpoint(kernels, chosen.checkpoint));
    t = trace(model, s.context, s.traced, 5);
  } finally {
    kernels.dispose();
  }
  const chars = s.traced.map((id) => vocab.chars[id]);
  let layer = o.layer, unit = o.unit;
  let top: InspectResult['top'];
  if (plan.pattern) {
    top = correlatedUnits(t, indicator(chars, plan.pattern), o.topK);
    if (!given.has('layer') && !given.has('unit') && top.length) ({ layer, unit } = top[0]);
  }
  const guesses = chars.map((_, i) => Array.from({ length: t.k }, (_, j): [string, number] => [vocab.chars[t.topIds[i * t.k + j]], t.topProbs[i * t.k + j]]));
  return { chars, layer, unit, act: unitSeries(t, layer, unit), top, prob: t.prob, guesses };
}

/** JSON lines (the correlated units, the guesses, or the activations), ANSI colours, or the HTML page's path. */
async function reportInspect(plan: InspectPlan, r: InspectResult, io: Io): Promise<void> {
  const { o } = plan;
  const lines: string[] = [];
  for (const u of r.top ?? []) lines.push(JSON.stringify({ layer: u.layer, unit: u.unit, r: round(u.r, 4) }));
  if (o.perChar && !o.html) {
    r.chars.forEach((c, i) => lines.push(JSON.stringify({ i, char: c, p: round(r.prob[i], 6), top: r.guesses[i].map(([g, p]) => [g, round(p, 6)]) })));
  }
  if (o.html) {
    const cfg = plan.chosen.checkpoint.model;
    const page = renderHtml({
      title: `charnn inspect: layer ${r.layer}, unit ${r.unit}`,
      subtitle: `${basename(plan.chosen.path)}: ${cfg.cell} ${cfg.layers}x${cfg.hidden}; ${r.chars.length.toLocaleString('en-US')} characters of ${textName(plan.text)}${plan.pattern ? `; the unit most correlated with /${o.pattern}/` : ''}`,
      chars: r.chars,
      act: r.act,
      guesses: o.perChar ? r.guesses : undefined,
    });
    attemptSync(`cannot write ${o.html}`, () => writeFileAtomic(resolve(io.cwd, o.html), page));
    lines.push(o.html);
  } else if (!plan.pattern && !o.perChar) {
    if (io.out.isTTY || o.ansi) {
      await io.out.write(renderAnsi(r.chars, r.act));
      return;
    }
    r.chars.forEach((c, i) => lines.push(JSON.stringify({ i, char: c, activation: round(r.act[i], 6) })));
  }
  if (lines.length) await io.out.write(lines.join('\n') + '\n');
}

/** The whole command: plan, set up, run, report. */
export async function inspect(values: InspectValues, given: Set<keyof InspectValues>, checkpointArg: string, text: string, io: Io): Promise<InspectResult> {
  const plan = planInspect(values, given, checkpointArg, text, io);
  const r = await runInspect(await setUpInspect(plan, io), io);
  await reportInspect(plan, r, io);
  return r;
}

/** 1 for every character inside a match of the pattern, else 0 (n). */
function indicator(chars: readonly string[], re: RegExp): Float64Array {
  const text = chars.join('');
  const ind = new Float64Array(chars.length);
  // match offsets are UTF-16; characters are code points
  const cpIndex = new Int32Array(text.length + 1);
  for (let i = 0, k = 0; i <= text.length; k++) {
    cpIndex[i] = k;
    if (i === text.length) break;
    const w = text.codePointAt(i)! > 0xffff ? 2 : 1;
    if (w === 2) cpIndex[i + 1] = k;
    i += w;
  }
  for (const m of text.matchAll(re)) {
    for (let k = cpIndex[m.index!]; k < cpIndex[m.index! + m[0].length]; k++) ind[k] = 1;
  }
  return ind;
}

const round = (x: number, d: number) => Math.round(x * 10 ** d) / 10 ** d;
