/**
 * Phase 3 of `sample`: the text of a plan, as the chunks the command line prints, in order. A sync generator, so
 * each front end drives it its own way: the CLI writes each chunk to stdout waiting for the pipe, the library
 * joins them (sample()) or yields them between event-loop turns (stream()), the server hands them to its engine.
 * What the generator yields is the whole output, byte for byte: the prime first, then the drawn text (cut at
 * the first --stop-at), the beam's text, or the lines (one per line, as text or JSON).
 *
 * Its return value is what the report phase says: for lines drawn with --novel or --unique, how many were drawn,
 * how many were novel, and whether fewer than --count passed.
 */
import type { Vocab } from '../../data/vocab.js';
import { attemptSync } from '../../errors.js';
import { END } from '../../data/line-corpus.js';
import type { CharRNN } from '../../model/char-rnn.js';
import { beamSearch } from '../../sample/beam.js';
import { LineSampler, type LineSample } from '../../sample/lines.js';
import { Sampler } from '../../sample/sampler.js';
import { StopAt, type SamplePlan } from './plan.js';

/** Batches drawn at most for --novel / --unique before giving up with fewer lines (a model that only recites). */
const MAX_ROUNDS = 50;

export interface SampleSummary {
  /** a stream: its stop string ended it (before its length) */
  stopped?: boolean;
  /** lines: drawn in all, of which novel (with --novel), and printed */
  lines?: { drawn: number; novel: number; printed: number };
  /** beam: the mean log-probability per scored character, and how many were scored (the prime's included) */
  beam?: { natsPerChar: number; scored: number };
}

/** `known`: the training list's lines, for --novel (read by the set-up phase). */
export function* generateText(plan: SamplePlan, model: CharRNN, vocab: Vocab, known: ReadonlySet<string> | null = null): Generator<string, SampleSummary, undefined> {
  if (plan.kind === 'lines') return yield* lines(plan, model, vocab, known);
  if (plan.kind === 'beam') return yield* beam(plan, model, vocab);
  const sampler = attemptSync('invalid sampling options', () => new Sampler(model, vocab, { temperature: plan.temperature, topK: plan.topK, topP: plan.topP, seed: plan.seed, ban: plan.ban }, 64));
  sampler.feed(plan.context);
  if (plan.primeText) yield plan.primeText;
  const stop = plan.stopAt.length ? new StopAt(plan.stopAt, plan.primeText) : null;
  for (const chunk of sampler.generate(plan.draw)) {
    const end = stop?.find(chunk) ?? -1;
    if (end < 0) {
      yield chunk;
      continue;
    }
    if (end > 0) yield chunk.slice(0, end);
    return { stopped: true };
  }
  return {};
}

/** One drawn character with the model's log-probability of it and its `top` likeliest alternatives. */
export interface CharScore {
  char: string;
  logProb: number;
  top: [string, number][];
}

/**
 * A stream plan's text, as generateText yields it (the same draws, so the same text for the same seed), with a
 * score per drawn character pushed to `scores` before the chunk holding it is yielded (the prime is not scored).
 */
export function* generateScored(plan: SamplePlan, model: CharRNN, vocab: Vocab, top: number, scores: CharScore[]): Generator<string, SampleSummary, undefined> {
  if (plan.kind !== 'stream') throw new Error('generateScored: stream plans only');
  const sampler = attemptSync('invalid sampling options', () => new Sampler(model, vocab, { temperature: plan.temperature, topK: plan.topK, topP: plan.topP, seed: plan.seed, ban: plan.ban }, 64));
  sampler.feed(plan.context);
  if (plan.primeText) yield plan.primeText;
  const stop = plan.stopAt.length ? new StopAt(plan.stopAt, plan.primeText) : null;
  const lp = new Float64Array(vocab.size);
  const order = Array.from({ length: vocab.size }, (_, i) => i);
  const charOf = (id: number) => String.fromCodePoint(vocab.codePoints[id]);
  for (let left = plan.draw; left > 0; ) {
    const n = Math.min(64, left);
    left -= n;
    const first = scores.length;
    let chunk = '';
    for (let i = 0; i < n; i++) {
      sampler.logProbs(lp);
      const id = sampler.next();
      const best = top > 0 ? order.sort((a, b) => lp[b] - lp[a]).slice(0, top) : [];
      scores.push({ char: charOf(id), logProb: lp[id], top: best.map((j) => [charOf(j), lp[j]]) });
      chunk += charOf(id);
    }
    const end = stop?.find(chunk) ?? -1;
    if (end < 0) {
      yield chunk;
      continue;
    }
    scores.length = first + [...chunk.slice(0, end)].length;
    if (end > 0) yield chunk.slice(0, end);
    return { stopped: true };
  }
  return {};
}

/** `--beam K`: the most likely text, complete (prime first, as sampling prints it). */
function* beam(plan: SamplePlan, model: CharRNN, vocab: Vocab): Generator<string, SampleSummary, undefined> {
  const nl = vocab.idOf('\n');
  // no prime: start as after a line break, as sampling does (not printed, not scored)
  const context = plan.primeIds.length ? plan.primeIds : nl >= 0 ? [nl] : [0];
  const r = attemptSync('beam search failed', () => beamSearch(model, context, { width: plan.beam, length: plan.draw, ban: plan.ban }));
  const text = plan.primeText + vocab.decode(r.ids);
  if (text) yield text;
  return { beam: { natsPerChar: r.logProb / Math.max(1, r.scored), scored: r.scored } };
}

/** A line-mode model: --count lines, drawn as batches of count; --novel and --unique draw more batches until
 *  enough pass (at most MAX_ROUNDS). */
function* lines(plan: SamplePlan, model: CharRNN, vocab: Vocab, known: ReadonlySet<string> | null): Generator<string, SampleSummary, undefined> {
  const { count, unique, json } = plan.lines;
  const sampler = attemptSync('invalid sampling options', () => new LineSampler(model, vocab, vocab.idOf(END), count, { temperature: plan.temperature, topK: plan.topK, topP: plan.topP, seed: plan.seed }));
  const seen = new Set<string>();
  let drawn = 0, novel = 0, printed = 0;
  for (let round = 0; printed < count && round < (known || unique ? MAX_ROUNDS : 1); round++) {
    const batch = attemptSync('cannot sample', () => sampler.draw(plan.primeIds, plan.lineLength));
    for (const s of batch) {
      drawn++;
      const isNovel = known ? !known.has(s.text) : true;
      if (isNovel) novel++;
      if (printed === count || !isNovel || (unique && seen.has(s.text))) continue;
      seen.add(s.text);
      printed++;
      yield formatLine(s, json);
    }
  }
  return { lines: { drawn, novel, printed } };
}

function formatLine(s: LineSample, json: boolean): string {
  return (json ? JSON.stringify({ text: s.text, logProb: Number(s.logProb.toFixed(6)), ended: s.ended }) : s.text) + '\n';
}
