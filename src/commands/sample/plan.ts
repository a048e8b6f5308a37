/**
 * Phase 1 of `sample`: what is asked, checked and prepared, with no I/O. The command line, the library
 * (loadModel().sample()) and the server (POST /v1/sample) all make their plan here from the SAMPLE table's values,
 * so the same options give the same text, and an unusable prime or option the same error, from each.
 *
 *   checkSampleOptions: the combinations refused before anything is loaded (beam with --forever, ...)
 *   planSample: the prime prepared as the corpus was (common/text.ts) and encoded, the seed, what runs (a stream,
 *               a beam search, or lines of a line-mode model) and how much of it
 */
import { randomInt } from 'node:crypto';
import type { Checkpoint } from '../../checkpoint/schema.js';
import { CharnnError, attemptSync } from '../../errors.js';
import type { Vocab } from '../../data/vocab.js';
import { END } from '../../data/line-corpus.js';
import { isLineModel } from '../../model/config.js';
import type { SAMPLE, Values } from '../../options.js';
import { Bans } from '../../sample/ban.js';
import { Drawer } from '../../sample/draw.js';
import { preparePrime, startIds, SKIP_UNKNOWN_HINT } from '../../sample/prime.js';
import { asTrained } from '../common/text.js';

export type SampleValues = Values<typeof SAMPLE>;
type Given = ReadonlySet<keyof SampleValues>;

/** What a sample is: everything the run phase needs, nothing left to check. */
export interface SamplePlan {
  kind: 'stream' | 'beam' | 'lines';
  /** the seed of the draws, and whether it was drawn at random (then it is told, so the text can be had again) */
  seed: number;
  randomSeed: boolean;
  /** the prime as printed (characters the model lacks dropped with skipUnknown), and its ids */
  primeText: string;
  primeIds: number[];
  /** characters skipUnknown dropped, with how often each */
  dropped: Map<string, number>;
  /** ids fed before the first draw: the prime, else a line break */
  context: number[];
  /** characters to draw after the prime (Infinity: without end); lines: the most characters of a line */
  draw: number;
  /** lines: the most characters of a line, prime included */
  lineLength: number;
  temperature: number;
  topK: number;
  topP: number;
  ban: Bans;
  /** end the text at the first occurrence of any of these (none: no stop) */
  stopAt: string[];
  beam: number;
  lines: { count: number; unique: boolean; novel: boolean; json: boolean };
}

/** The model a plan is made for. */
export interface PlanModel {
  checkpoint: Checkpoint;
  vocab: Vocab;
}

/** How a front end names its options in messages: the command line its flags (`--length`), the library and the
 *  server their keys (`length`); the errors are otherwise the same words. */
export interface Spelling {
  option(key: keyof SampleValues): string;
  /** the hint of a prime with characters the model never saw */
  skipUnknown: string;
}
const FLAGS: Spelling = { option: (k) => '--' + k.replace(/[A-Z]/g, (m) => '-' + m.toLowerCase()), skipUnknown: SKIP_UNKNOWN_HINT };
export const KEYS: Spelling = { option: (k) => k, skipUnknown: 'remove them, or pass skipUnknown: true to drop them' };

/** Combinations refused before a checkpoint is even read. */
export function checkSampleOptions(o: SampleValues, given: Given, say: Spelling = FLAGS): void {
  const f = say.option;
  if (given.has('prime') && given.has('primeFile')) throw CharnnError.usage(`${f('prime')} and ${f('primeFile')} both given`, 'use one of them');
  if (o.beam > 0) {
    if (o.forever || o.length === 0) throw CharnnError.usage(`beam search needs a ${f('length')}`, 'it prints the most likely text once it is complete', 'invalid options');
    const sampling = (['temp', 'topK', 'topP'] as const).filter((k) => given.has(k));
    if (sampling.length) throw CharnnError.usage(`${f('beam')} with ${sampling.map(f).join(', ')}`, 'beam search draws nothing: drop them', 'invalid options');
  }
}

/** The plan for `prime` (the text of --prime or --prime-file) on `m`; `say` names the options in messages. */
export function planSample(o: SampleValues, given: Given, prime: string, m: PlanModel, say: Spelling = FLAGS): SamplePlan {
  const f = say.option;
  const { vocab, checkpoint } = m;
  const seed = o.seed >= 0 ? o.seed : randomInt(0, 2 ** 32);
  // a banned string with a character the model never saw can never be emitted: nothing to ban
  const ban = new Bans(o.ban.filter((b) => [...b].every((c) => vocab.has(c))).map((b) => [...b].map((c) => vocab.idOf(c))));
  attemptSync('invalid sampling options', () => new Drawer(vocab.size, { temperature: o.temp, topK: o.topK, topP: o.topP }));
  const p = attemptSync('cannot use the prime', () => preparePrime(asTrained(prime, checkpoint, vocab), vocab, o.skipUnknown, say.skipUnknown));
  const forever = o.forever || o.length === 0;
  const lineModel = isLineModel(checkpoint.model);
  if (lineModel) {
    for (const k of ['stopAt', 'forever', 'beam'] as const) {
      if (given.has(k)) throw CharnnError.usage(`${f(k)} is for stream models; this one samples lines`, `drop it: every line stops at its end token or ${f('length')}`);
    }
    // what the line sampler would refuse at its first draw, refused before any text is made
    if (p.ids.includes(vocab.idOf(END))) throw new CharnnError('the prime must not contain a line break (every sample is one line)', undefined, 'cannot sample');
    if (p.ids.length > o.length) throw new CharnnError(`the prime has ${p.ids.length} characters, more than the length limit ${o.length}`, undefined, 'cannot sample');
  } else {
    for (const k of ['count', 'novel', 'unique', 'json', 'corpus'] as const) {
      if (given.has(k)) throw CharnnError.usage(`${f(k)} needs a line-mode model (train one with --lines); this one samples a stream`, `drop it, or use ${f('stopAt')} to end a sample`);
    }
    if (!forever && p.ids.length > o.length) {
      throw CharnnError.usage(`the prime has ${p.ids.length} characters, more than ${f('length')} ${o.length}`, `raise ${f('length')} (it counts the prime) or shorten the prime`, 'cannot sample');
    }
  }
  return {
    kind: lineModel ? 'lines' : o.beam > 0 ? 'beam' : 'stream',
    seed,
    randomSeed: o.seed < 0 && o.temp > 0 && !(o.beam > 0 && !lineModel), // at temperature 0 and in a beam search nothing is drawn: no seed to tell
    primeText: p.text,
    primeIds: p.ids,
    dropped: p.dropped,
    context: startIds(p.ids, vocab),
    draw: forever ? Infinity : o.length - p.ids.length,
    lineLength: o.length,
    temperature: o.temp,
    topK: o.topK,
    topP: o.topP,
    ban,
    stopAt: o.stopAt,
    beam: o.beam,
    lines: { count: o.count, unique: o.unique, novel: o.novel, json: o.json },
  };
}

/** --stop-at: where in a chunk the first occurrence of any stop text ends (it may begin in earlier chunks or in
 *  the prime's tail; an occurrence wholly inside the prime does not count), or -1. */
export class StopAt {
  private tail: string;
  private readonly keep: number;
  constructor(private readonly texts: readonly string[], prime: string) {
    this.keep = Math.max(0, ...texts.map((t) => t.length)) - 1;
    this.tail = this.keep > 0 ? prime.slice(-this.keep) : '';
  }
  find(chunk: string): number {
    const hay = this.tail + chunk;
    let best = -1;
    for (const t of this.texts) {
      // an occurrence must end inside the chunk, not within the tail kept from before
      const at = hay.indexOf(t, Math.max(0, this.tail.length - t.length + 1));
      if (at >= 0 && (best < 0 || at + t.length < best)) best = at + t.length;
    }
    if (best >= 0) return best - this.tail.length;
    this.tail = this.keep > 0 ? hay.slice(-this.keep) : '';
    return -1;
  }
}
