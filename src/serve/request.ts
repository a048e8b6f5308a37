/**
 * POST /v1/sample's options: a JSON object named like `charnn sample`'s flags (camelCase), read by the sample
 * command's own option reader and planned by its own planner (src/commands/sample/plan.ts), so a request and the
 * command line accept and refuse the same values with the same words and give the same text. What is the
 * server's alone is here: the JSON's shape, which model, and the limits a client cannot raise (--max-length, and
 * --max-streams for the beams or lines of one request). Every refusal is an HttpError (4xx).
 */
import { SAMPLE } from '../options.js';
import { CharnnError } from '../errors.js';
import { checkSampleOptions, KEYS, planSample, type SamplePlan, type Spelling } from '../commands/sample/plan.js';

/** A request names options by their JSON keys. */
const SERVER: Spelling = { ...KEYS, skipUnknown: 'remove them, or send "skipUnknown": true to drop them' };
import { valuesFrom } from '../commands/values.js';
import { HttpError } from './errors.js';
import type { ServedModel } from './models.js';

/** The request's option names, as `charnn sample --help` spells them (camelCase). */
const REQUEST_KEYS = ['model', 'prime', 'temp', 'topK', 'topP', 'length', 'seed', 'skipUnknown', 'beam', 'ban', 'stopAt', 'count', 'unique', 'json'] as const;
type Key = (typeof REQUEST_KEYS)[number];
type OptionKey = Exclude<Key, 'model'>;
const OPTION_KEYS = REQUEST_KEYS.filter((k): k is OptionKey => k !== 'model');
/** What a value must be, for the hint of a refusal (the ranges are the SAMPLE table's parsers'). */
const EXPECTED: Partial<Record<OptionKey, string>> = {
  temp: 'a number >= 0: lower is safer, higher is wilder; 0 always takes the most likely character',
  topK: 'a whole number >= 0; 0 turns it off',
  topP: 'a number in (0, 1]; 1 turns it off',
  length: 'a whole number of characters, prime included',
  seed: 'a whole number from 0 to 4294967295; the same seed gives the same text',
  beam: 'a whole number of beams; 0 turns beam search off',
  count: 'a whole number of lines (line-mode models)',
};
/** Names other APIs use for the same options, for a "did you mean" */
const ALIASES: Record<string, Key> = { temperature: 'temp', t: 'temp', k: 'topK', p: 'topP', n: 'length', maxtokens: 'length', maxlength: 'length', text: 'prime', prompt: 'prime', stop: 'stopAt', bans: 'ban' };

/** A request the sample command has planned, for this model. */
export interface PlannedRequest {
  model: ServedModel;
  plan: SamplePlan;
  /** characters of the whole text, prime included (as sample's --length; lines: the most of each line) */
  length: number;
}

/** The options and batched-stream spec a plain stream request runs as (the engine's fast path). */
export interface SampleRequest {
  model: ServedModel;
  /** the prime as the model reads it (unseen characters dropped with skipUnknown), printed first */
  primeText: string;
  /** ids fed before the first draw (startIds) */
  context: number[];
  temperature: number;
  topK: number;
  topP: number;
  seed: number;
  /** characters of the whole text, prime included (as sample's --length) */
  length: number;
  /** characters to draw: length minus the prime's */
  draw: number;
}

export interface RequestLimits {
  maxLength: number;
  /** the most beams or lines one request may ask for */
  maxStreams: number;
}

/** The options of a parsed JSON body, planned by the sample command. */
export function parseSampleRequest(doc: unknown, models: readonly ServedModel[], limits: RequestLimits): PlannedRequest {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new HttpError(400, `the body must be a JSON object of options, got ${doc === null ? 'null' : Array.isArray(doc) ? 'an array' : typeof doc}`, `for example {"prime": "ROMEO:", "temp": 0.5}`);
  }
  const o = doc as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!(REQUEST_KEYS as readonly string[]).includes(key)) {
      const near = suggest(key);
      throw new HttpError(400, `unknown option ${JSON.stringify(key)}`, `${near ? `did you mean ${near}? ` : ''}the options are ${REQUEST_KEYS.join(', ')}`);
    }
  }
  const model = pickModel(o.model, models);
  const { model: _m, ...options } = o;
  if (typeof options.stopAt === 'string') options.stopAt = [options.stopAt]; // one stop string, or a list
  for (const key of OPTION_KEYS) checkType(key, options[key]);
  if (options.length === undefined) options.length = Math.min(SAMPLE.length.default, limits.maxLength);
  let values, given;
  try {
    ({ values, given } = valuesFrom(SAMPLE, options, { keys: OPTION_KEYS, strict: true }));
  } catch (e) {
    const key = OPTION_KEYS.find((k) => e instanceof CharnnError && e.why.startsWith(`${k} `));
    if (e instanceof CharnnError) throw new HttpError(400, e.why, (key && EXPECTED[key]) ?? e.hint, e.what);
    throw e;
  }
  if (values.length < 1 || values.length > limits.maxLength) {
    throw new HttpError(400, `length ${values.length}: must be between 1 and ${limits.maxLength}`, values.length < 1 ? 'a stream without end (0) is for the command line only' : "the server's --max-length");
  }
  for (const k of ['beam', 'count'] as const) {
    if (given.has(k) && values[k] > limits.maxStreams) {
      throw new HttpError(400, `${k} ${values[k]}: must be at most ${limits.maxStreams}`, `each ${k === 'beam' ? 'beam' : 'line'} is a stream; the server's --max-streams`);
    }
  }
  if (!given.has('count')) values.count = Math.min(values.count, limits.maxStreams);
  try {
    checkSampleOptions(values, given, SERVER);
    const plan = planSample(values, given, values.prime, model, SERVER);
    return { model, plan, length: values.length };
  } catch (e) {
    if (e instanceof CharnnError) throw new HttpError(400, e.why, e.hint, e.what);
    throw e;
  }
}

/** A plain stream request (no beam, no bans) as the engine's batched stream; null when it runs as its own. */
export function batchedRequest(r: PlannedRequest): SampleRequest | null {
  const p = r.plan;
  if (p.kind !== 'stream' || p.ban.size > 0) return null;
  return { model: r.model, primeText: p.primeText, context: p.context, temperature: p.temperature, topK: p.topK, topP: p.topP, seed: p.seed, length: r.length, draw: p.draw };
}

function pickModel(name: unknown, models: readonly ServedModel[]): ServedModel {
  if (name === undefined || name === null) return models[0];
  if (typeof name !== 'string') typeError('model', name, 'a model name (a string)');
  const m = models.find((x) => x.name === name);
  if (!m) {
    throw new HttpError(404, `unknown model ${JSON.stringify(name)}`, `this server has ${models.map((x) => x.name).join(', ')}; GET /v1/models lists them`, 'cannot sample');
  }
  return m;
}

/** JSON types first, in the server's words (the values' ranges are the table's). */
function checkType(key: OptionKey, value: unknown): void {
  if (value === undefined) return;
  const spec = SAMPLE[key];
  if (key === 'seed' && value === null) return;
  if (Array.isArray(spec.default)) {
    if (!Array.isArray(value) || !value.every((x) => typeof x === 'string')) typeError(key, value, 'a list of strings');
  } else if (typeof spec.default === 'number') {
    if (typeof value === 'number' && !Number.isFinite(value)) typeError(key, value, 'a finite number');
    if (typeof value !== 'number') typeError(key, value, 'a number');
  } else if (typeof spec.default === 'boolean') {
    if (typeof value !== 'boolean') typeError(key, value, 'true or false');
  } else if (typeof value !== 'string') typeError(key, value, 'a string');
}

function typeError(key: string, value: unknown, want: string): never {
  const got = value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value === 'string' ? `the string ${JSON.stringify(value.slice(0, 40))}` : typeof value === 'number' && !Number.isFinite(value) ? String(value) : typeof value;
  throw new HttpError(400, `${key} must be ${want}, got ${got}`, 'options are JSON values, e.g. {"prime": "ROMEO:", "temp": 0.5, "seed": 7}');
}

function suggest(key: string): Key | undefined {
  const norm = key.toLowerCase().replace(/[^a-z]/g, '');
  return REQUEST_KEYS.find((k) => k.toLowerCase() === norm) ?? (Object.hasOwn(ALIASES, norm) ? ALIASES[norm] : undefined); // own names only
}
