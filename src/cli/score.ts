/**
 * `charnn score <checkpoint> [text|-]`: how likely a text is under a model, as JSON lines on stdout: per line
 * (`--by line`, the default for line-mode models) or for the whole text (`--by text`, the default otherwise).
 * Each record: text, characters (scored), nats (their total), nats_per_char, bits_per_char, perplexity, and with
 * --per-char each character's surprisal. --sort ranks the records from most to least likely per character.
 *
 * What is scored: the whole text from its second character on, given the first (the predictions `eval` counts,
 * so the figures agree with it); a line with its line break, given a line break before it (the line as a line
 * of its own; each line from a fresh state, so a line's score never depends on its neighbours or on --sort).
 */
import { once } from 'node:events';
import type { Command } from 'commander';
import { loadCheckpoint } from '../checkpoint/io.js';
import { readCorpus } from '../data/corpus.js';
import { describeCodePoint, Vocab } from '../data/vocab.js';
import { createKernels } from '../math/backend.js';
import { isLineModel } from '../model/config.js';
import { Scorer } from '../sample/score.js';
import { attempt, attemptSync, CharnnError } from '../errors.js';
import { addOptions, COMMON, readOptions, SCORE } from './options.js';
import { backendOptions } from '../commands/common/backend.js';
import { modelFromCheckpoint } from '../checkpoint/run-state.js';

export function registerScore(program: Command): void {
  const cmd = program
    .command('score')
    .description('log-probability of text under a model, as JSON lines on stdout (per line or whole text)')
    .argument('<checkpoint>', 'a checkpoint .json')
    .argument('[text]', 'a text file or - for standard input', '-');
  addOptions(cmd, SCORE);
  addOptions(cmd, COMMON);
  cmd.action(async (path: string, textArg: string, _o: unknown, self: Command) => {
    const { values: o } = readOptions(self, SCORE);
    const ckpt = loadCheckpoint(path);
    const vocab = Vocab.fromChars(ckpt.vocab);
    const bytes = await attempt('cannot read the text', () => readCorpus(textArg, process.stdin));
    const text = attemptSync('cannot read the text', () => new TextDecoder('utf-8', { fatal: true }).decode(bytes));
    // a line-mode model (train --lines) is a model of lines: each starts from its start state after a line break
    const lineModel = isLineModel(ckpt.model);
    const byLine = o.by ? o.by === 'line' : lineModel;
    const units = byLine ? lineUnits(text, vocab) : [textUnit(text, vocab)];

    const kernels = await attempt(`cannot start the ${o.backend} backend`, () => createKernels(o.backend, backendOptions(o, process.env)));
    try {
      const model = attemptSync(`cannot load checkpoint ${path}`, () => modelFromCheckpoint(kernels, ckpt));
      const scorer = new Scorer(model);
      const score = (u: Unit) => record(u, scorer.surprisals(u.context, u.ids, lineModel && u.line !== undefined), vocab, o.perChar);
      if (o.sort) {
        const all = units.map(score).sort((a, b) => a.nats_per_char - b.nats_per_char || (a.line ?? 0) - (b.line ?? 0));
        for (const r of all) if (!(await writeLine(r))) return;
      } else {
        for (const u of units) if (!(await writeLine(score(u)))) return;
      }
    } finally {
      kernels.dispose();
    }
  });
}

/** What is scored: `ids` given `context`. */
interface Unit {
  line?: number;
  text: string;
  context: number[];
  ids: number[];
}

/** One JSON record; figures rounded to 6 decimals (the per-char surprisals sum to `nats` within rounding). */
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
  const ids = encode(text, vocab, (i) => `character ${i + 1}`);
  if (ids.length < 2) throw new CharnnError(`the text has ${ids.length} character${ids.length === 1 ? '' : 's'}`, 'it needs at least 2: one to read, one to predict', 'cannot score');
  return { text, context: ids.slice(0, 1), ids: ids.slice(1) };
}

/** Each line (numbered from 1) with its line break, given a line break before it. */
function lineUnits(text: string, vocab: Vocab): Unit[] {
  const nl = vocab.idOf('\n');
  if (nl < 0) throw CharnnError.usage('the model has no line break in its vocabulary, so it cannot score lines', 'use --by text', 'cannot score');
  const lines = text.split('\n');
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop(); // the final line break ends the last line
  return lines.map((line, i) => ({ line: i + 1, text: line, context: [nl], ids: [...encode(line, vocab, () => `line ${i + 1}`), nl] }));
}

/** Ids of the characters of `text`, or an error naming the characters the model never saw and where. */
export function encode(text: string, vocab: Vocab, where: (index: number) => string): number[] {
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
      'cannot score',
    );
  }
  return ids;
}

/** One JSON line on stdout, waiting for the pipe to drain; false once the reader has gone. */
async function writeLine(r: ScoreRecord): Promise<boolean> {
  const out = process.stdout;
  if (out.destroyed || out.writableEnded) return false;
  if (!out.write(JSON.stringify(r) + '\n')) await Promise.race([once(out, 'drain'), once(out, 'close')]).catch(() => {}); // an error: EPIPE ends quietly (stdio.ts)
  return !out.destroyed;
}
