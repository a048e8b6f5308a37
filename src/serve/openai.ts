/**
 * OpenAI's completions API on charnn's sample command: `POST /v1/completions` and `GET /v1/models` in the shapes
 * OpenAI's clients read. A request is translated into the options of `POST /v1/sample` and planned by the same
 * reader (request.ts: the SAMPLE table's parsers, then the sample command's checkSampleOptions and planSample), so
 * it accepts and refuses what `charnn sample` does and, for the same options and seed, gives the text it prints:
 *
 *   prompt -> prime; max_tokens -> the characters after it (length = the prompt's characters + max_tokens);
 *   temperature -> temp; top_p -> topP; stop (a string or a list of up to 4) -> stopAt; seed -> seed;
 *   n -> n samples with seeds seed, seed+1, ... (a random first seed when none is given; the seeds are in the
 *   answer's extra `charnn.seeds` and the X-Charnn-Seed header); logprobs -> the model's log-probabilities
 *   (temperature 1, before top_p) of each drawn character and of its most likely alternatives; echo -> the
 *   prompt first (its characters unscored).
 *
 * A token is a character: `usage` counts characters. Unlike `--stop-at`, a stop sequence is not part of the
 * returned text (OpenAI's meaning). Parameters charnn cannot honour (suffix, best_of > 1, penalties, logit_bias)
 * are refused with a 400 naming them, never ignored.
 */
import type { CharScore } from '../commands/sample/generate.js';
import { isLineModel } from '../model/config.js';
import { HttpError } from './errors.js';
import type { ServedModel } from './models.js';
import { parseSampleRequest, type PlannedRequest, type RequestLimits } from './request.js';

/** OpenAI's names for the sample options, for messages in the request's own words. */
const RENAME: Record<string, string> = { prime: 'prompt', temp: 'temperature', topP: 'top_p', length: 'max_tokens', stopAt: 'stop', seed: 'seed' };
const ACCEPTED = ['model', 'prompt', 'max_tokens', 'temperature', 'top_p', 'stop', 'seed', 'n', 'stream', 'stream_options', 'logprobs', 'echo', 'user', 'suffix', 'best_of', 'presence_penalty', 'frequency_penalty', 'logit_bias'] as const;
/** the most stop sequences (OpenAI's limit) and characters in each */
const MAX_STOPS = 4;
const MAX_STOP_CHARS = 256;
/** the most alternatives per character (OpenAI's limit for completions) */
const MAX_LOGPROBS = 5;

export interface CompletionRequest {
  model: ServedModel;
  /** one plan per choice (seeds seed, seed+1, ...) */
  choices: PlannedRequest[];
  /** the prompt as the model reads it */
  prompt: string;
  stops: string[];
  echo: boolean;
  /** alternatives per character, or null: no logprobs */
  logprobs: number | null;
  stream: boolean;
  includeUsage: boolean;
}

/** A completions body, checked field by field (types and ranges before any work), then planned per choice. */
export function parseCompletionRequest(doc: unknown, models: readonly ServedModel[], limits: RequestLimits): CompletionRequest {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new HttpError(400, `the body must be a JSON object, got ${doc === null ? 'null' : Array.isArray(doc) ? 'an array' : typeof doc}`, 'for example {"model": "NAME", "prompt": "ROMEO:", "max_tokens": 100}');
  }
  const o = doc as Record<string, unknown>;
  const unknown = Object.keys(o).filter((k) => !(ACCEPTED as readonly string[]).includes(k));
  if (unknown.length) throw new HttpError(400, `unsupported parameter${unknown.length > 1 ? 's' : ''} ${unknown.slice(0, 5).map((k) => JSON.stringify(k.slice(0, 40))).join(', ')}`, `charnn's completions take ${ACCEPTED.slice(0, 12).join(', ')}`);
  // what charnn cannot do, refused by name unless it is the value that means "off"
  const cannot: string[] = [];
  if (o.suffix !== undefined && o.suffix !== null && o.suffix !== '') cannot.push('suffix (a character model only continues text)');
  if (o.best_of !== undefined && o.best_of !== null && o.best_of !== 1) cannot.push('best_of other than 1 (use n, or charnn sample --beam)');
  for (const k of ['presence_penalty', 'frequency_penalty'] as const) if (o[k] !== undefined && o[k] !== null && o[k] !== 0) cannot.push(`${k} other than 0`);
  if (o.logit_bias !== undefined && o.logit_bias !== null && !(isObject(o.logit_bias) && Object.keys(o.logit_bias).length === 0)) cannot.push('logit_bias (POST /v1/sample has "ban")');
  if (cannot.length) throw new HttpError(400, `charnn cannot honour ${cannot.join('; ')}`, 'drop them');
  if (o.user !== undefined && typeof o.user !== 'string') typeError('user', o.user, 'a string');

  const prompt = readPrompt(o.prompt);
  const maxTokens = intField(o, 'max_tokens', 16, 1, limits.maxLength);
  const n = intField(o, 'n', 1, 1, limits.maxStreams);
  const logprobs = o.logprobs === null || o.logprobs === undefined ? null : intField(o, 'logprobs', 0, 0, MAX_LOGPROBS);
  const echo = boolField(o, 'echo');
  const stream = boolField(o, 'stream');
  let includeUsage = false;
  if (o.stream_options !== undefined && o.stream_options !== null) {
    if (!isObject(o.stream_options) || Object.keys(o.stream_options).some((k) => k !== 'include_usage')) typeError('stream_options', o.stream_options, 'an object with include_usage');
    includeUsage = boolField(o.stream_options as Record<string, unknown>, 'include_usage');
  }
  const stops = readStops(o.stop);
  for (const k of ['temperature', 'top_p'] as const) {
    if (o[k] !== undefined && o[k] !== null && (typeof o[k] !== 'number' || !Number.isFinite(o[k]))) typeError(k, o[k], 'a number');
  }
  if (o.seed !== undefined && o.seed !== null && (typeof o.seed !== 'number' || !Number.isInteger(o.seed) || o.seed < 0 || o.seed > 2 ** 32 - 1)) {
    throw new HttpError(400, `seed ${shown(o.seed)}: must be a whole number from 0 to 4294967295`, 'the same seed gives the same text');
  }
  if (o.model !== undefined && o.model !== null && typeof o.model !== 'string') typeError('model', o.model, 'a model name (a string)');

  const sample: Record<string, unknown> = { model: o.model, prime: prompt };
  if (o.temperature !== undefined && o.temperature !== null) sample.temp = o.temperature;
  if (o.top_p !== undefined && o.top_p !== null) sample.topP = o.top_p;
  if (stops.length) sample.stopAt = stops;
  const promptChars = [...prompt].length;
  const plan = (seed: number | undefined, length: number): PlannedRequest => {
    const body: Record<string, unknown> = { ...sample, length, ...(seed === undefined ? {} : { seed }) };
    const m = models.find((x) => x.name === o.model) ?? (o.model === undefined || o.model === null ? models[0] : undefined);
    if (m && isLineModel(m.checkpoint.model)) body.count = 1; // a line-mode model: one line per choice
    try {
      return parseSampleRequest(body, models, limits);
    } catch (e) {
      throw renamed(e);
    }
  };
  const seed0 = typeof o.seed === 'number' ? o.seed : undefined;
  if (promptChars + maxTokens > limits.maxLength) {
    throw new HttpError(400, `max_tokens ${maxTokens} with a prompt of ${promptChars} characters: over ${limits.maxLength} characters in all`, "the server's --max-length counts the prompt");
  }
  let first = plan(seed0, promptChars + maxTokens);
  // the prompt as the model reads it may be shorter (characters dropped or normalised as the corpus was): plan again
  const read = first.plan.primeIds.length;
  if (first.plan.kind === 'stream' && read !== promptChars) first = plan(first.plan.seed, read + maxTokens);
  if (first.plan.kind === 'lines' && logprobs !== null) throw new HttpError(400, 'logprobs is for stream models; this one samples lines', 'drop it');
  const length = first.length;
  const choices = [first];
  for (let i = 1; i < n; i++) choices.push(plan((first.plan.seed + i) % 2 ** 32, length));
  return { model: first.model, choices, prompt: first.plan.primeText, stops, echo, logprobs, stream, includeUsage };
}

/** GET /v1/models: OpenAI's list; each entry keeps charnn's card (the page's figures and loss curve), its ISO
 *  date as `trained` (OpenAI's `created` is in seconds). */
export function modelList(models: readonly ServedModel[]): unknown {
  return {
    object: 'list',
    data: models.map(({ card: { created, ...card } }) => ({ id: card.name, object: 'model', created: Math.floor((Date.parse(created) || 0) / 1000), owned_by: 'charnn', ...card, trained: created })),
  };
}

/** An error as OpenAI's clients read it: `{"error": {"message", "type", "param", "code"}}`. */
export function openaiErrorBody(status: number, message: string): string {
  const type = status === 401 ? 'authentication_error' : status === 403 ? 'permission_error' : status === 404 ? 'not_found_error' : status === 429 ? 'rate_limit_error' : status >= 500 ? 'server_error' : 'invalid_request_error';
  return JSON.stringify({ error: { message, type, param: null, code: null }, status }) + '\n';
}

/**
 * One choice's text as it arrives from the engine: the prompt skipped where the generator yields it, a stop
 * sequence taken off the end (OpenAI's meaning; --stop-at keeps it), and, while streaming, the last `hold`
 * characters held back until it is known they are not the start of the stop sequence.
 */
export class ChoiceText {
  /** characters generated, the stop sequence not counted */
  chars = 0;
  private pending: string[] = [];
  private pendingScores: (CharScore | null)[] = [];
  private scored = 0;
  private offset = 0;
  /** the last characters of prompt + text, to find which stop sequence ended it */
  private tail: string;
  private finish: 'stop' | 'length' | null = null;

  constructor(
    readonly index: number,
    echo: string,
    prompt: string,
    private skip: number,
    private readonly scores: CharScore[] | null,
    private readonly stops: readonly string[],
    private readonly hold: number,
  ) {
    this.pending = [...echo];
    this.pendingScores = this.pending.map(() => null);
    this.tail = prompt;
  }

  push(text: string): void {
    if (this.skip > 0) {
      const n = Math.min(this.skip, text.length);
      this.skip -= n;
      text = text.slice(n);
    }
    if (!text) return;
    const cps = [...text];
    this.pending.push(...cps);
    this.chars += cps.length;
    if (this.scores) {
      this.pendingScores.push(...this.scores.slice(this.scored, this.scored + cps.length));
      this.scored += cps.length;
    }
    this.tail = (this.tail + text).slice(-2 * MAX_STOP_CHARS);
  }

  /** The stream's end: a stop sequence reached (taken off the text) or its length. The text is cut right after
   *  the first stop sequence, so one that ends it was reached (a generator's job reports only that it ended). */
  end(reason: 'stop' | 'length'): void {
    const s = this.chars > 0 ? this.stops.find((x) => this.tail.endsWith(x)) : undefined;
    this.finish = s ? 'stop' : reason;
    if (!s) return;
    const drop = Math.min([...s].length, this.chars);
    this.pending.length = Math.max(0, this.pending.length - drop);
    this.pendingScores.length = this.pending.length;
    this.chars -= drop;
  }

  /** What can be handed out now (all of it when `final`), as a choice of OpenAI's shape; null when nothing. */
  take(final: boolean): Record<string, unknown> | null {
    const n = final ? this.pending.length : Math.max(0, this.pending.length - this.hold);
    if (n === 0 && !final) return null;
    const chars = this.pending.splice(0, n);
    const scores = this.pendingScores.splice(0, n);
    let logprobs: unknown = null;
    if (this.scores) {
      const offsets = chars.map((_, i) => this.offset + i);
      logprobs = {
        tokens: chars,
        token_logprobs: scores.map((x) => (x ? x.logProb : null)),
        top_logprobs: scores.map((x) => (x ? Object.fromEntries(x.top) : null)),
        text_offset: offsets,
      };
    }
    this.offset += n;
    return { text: chars.join(''), index: this.index, logprobs, finish_reason: final ? this.finish : null };
  }

  /** The whole choice (not streamed). */
  whole(): Record<string, unknown> {
    return this.take(true)!;
  }
}

/**
 * A line-mode model's choice: the sample command's line (as its JSON form, which says whether the line ended) as
 * the text after the prompt, without its line break; `ended` is set when the model ended the line itself.
 */
export function* lineCompletion(lines: Iterator<string, unknown, undefined>, prompt: string, out: { ended: boolean }): Generator<string, void, undefined> {
  for (let n = lines.next(); !n.done; n = lines.next()) {
    const line = JSON.parse(n.value) as { text: string; ended: boolean };
    out.ended = line.ended;
    const text = line.text.startsWith(prompt) ? line.text.slice(prompt.length) : line.text;
    if (text) yield text;
  }
}

// ---- fields -------------------------------------------------------------------------------------------------

function readPrompt(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && v.length === 1 && typeof v[0] === 'string') return v[0];
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) throw new HttpError(400, `prompt: a list of ${v.length} prompts`, 'send one prompt per request (a string)');
  return typeError('prompt', v, 'a string (token ids mean nothing to a character model)');
}

function readStops(v: unknown): string[] {
  if (v === undefined || v === null) return [];
  const list = typeof v === 'string' ? [v] : Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : typeError('stop', v, 'a string or a list of strings');
  if (list.length > MAX_STOPS) throw new HttpError(400, `stop: ${list.length} sequences, at most ${MAX_STOPS}`, 'drop some');
  for (const s of list) {
    if (s === '' || s.length > MAX_STOP_CHARS) throw new HttpError(400, `stop: a sequence of ${s.length} characters`, `each must have 1 to ${MAX_STOP_CHARS}`);
  }
  return list;
}

function intField(o: Record<string, unknown>, key: string, dflt: number, min: number, max: number): number {
  const v = o[key];
  if (v === undefined || v === null) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new HttpError(400, `${key} ${shown(v)}: must be a whole number from ${min} to ${max}`, key === 'n' ? "each choice is a stream: the server's --max-streams" : key === 'max_tokens' ? "characters after the prompt; the server's --max-length" : undefined);
  }
  return v;
}

function boolField(o: Record<string, unknown>, key: string): boolean {
  const v = o[key];
  if (v === undefined || v === null) return false;
  return typeof v === 'boolean' ? v : typeError(key, v, 'true or false');
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function shown(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.slice(0, 40));
  if (typeof v === 'number') return String(v);
  return v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v;
}

function typeError(key: string, value: unknown, want: string): never {
  throw new HttpError(400, `${key} must be ${want}, got ${typeof value === 'string' ? `the string ${shown(value)}` : shown(value)}`, 'see GET /v1/models and docs/serve.md');
}

/** A sample request's refusal in the completions' words (temp -> temperature, ...). */
function renamed(e: unknown): unknown {
  if (!(e instanceof HttpError)) return e;
  const m = /^(\w+)\b/.exec(e.why);
  const to = m && RENAME[m[1]];
  const why = to ? to + e.why.slice(m![1].length) : e.why;
  const hint = e.hint?.replace(/\b(temp|topP|skipUnknown|length)\b/g, (k) => RENAME[k] ?? k);
  return new HttpError(e.status, why, hint, e.what, e.headers);
}
