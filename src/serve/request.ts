/**
 * POST /v1/sample's options: a JSON object named like `charnn sample`'s flags, checked by the same parsers
 * (the SAMPLE table) and the same prime rules (preparePrime: BOM, CRLF, unseen characters; the prime counts in the length), so a request and
 * the command line accept and refuse the same values with the same words. Every refusal is an HttpError (4xx).
 */
import { OptionValueError, SAMPLE } from '../options.js';
import { CharnnError } from '../errors.js';
import { preparePrime, startIds } from '../sample/prime.js';
import { HttpError } from './errors.js';
import type { ServedModel } from './models.js';

/** The request's option names, as `charnn sample --help` spells them (camelCase). */
export const REQUEST_KEYS = ['model', 'prime', 'temp', 'topK', 'topP', 'length', 'seed', 'skipUnknown'] as const;
type Key = (typeof REQUEST_KEYS)[number];
/** What a value must be, for the hint of a refusal (the ranges are the SAMPLE table's parsers'). */
const EXPECTED: Record<'temp' | 'topK' | 'topP' | 'length' | 'seed', string> = {
  temp: 'a number >= 0: lower is safer, higher is wilder; 0 always takes the most likely character',
  topK: 'a whole number >= 0; 0 turns it off',
  topP: 'a number in (0, 1]; 1 turns it off',
  length: 'a whole number of characters, prime included',
  seed: 'a whole number from 0 to 4294967295; the same seed gives the same text',
};
/** Names other APIs use for the same options, for a "did you mean" */
const ALIASES: Record<string, Key> = { temperature: 'temp', t: 'temp', k: 'topK', p: 'topP', n: 'length', maxtokens: 'length', maxlength: 'length', text: 'prime', prompt: 'prime' };

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
}

/** The options of a parsed JSON body; `randomSeed` gives the seed when none is asked for. */
export function parseSampleRequest(doc: unknown, models: readonly ServedModel[], limits: RequestLimits, randomSeed: () => number): SampleRequest {
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
  const prime = typeof o.prime === 'string' || o.prime === undefined ? (o.prime ?? '') : typeError('prime', o.prime, 'a string');
  const skipUnknown = typeof o.skipUnknown === 'boolean' || o.skipUnknown === undefined ? (o.skipUnknown ?? false) : typeError('skipUnknown', o.skipUnknown, 'true or false');
  const temperature = option('temp', o.temp);
  const topK = option('topK', o.topK);
  const topP = option('topP', o.topP);
  const length = o.length === undefined ? Math.min(SAMPLE.length.default, limits.maxLength) : option('length', o.length);
  if (length < 1 || length > limits.maxLength) {
    throw new HttpError(400, `length ${length}: must be between 1 and ${limits.maxLength}`, length < 1 ? 'a stream without end (0) is for the command line only' : "the server's --max-length");
  }
  const seed = o.seed === undefined || o.seed === null ? randomSeed() : option('seed', o.seed);

  let ids: number[];
  try {
    ids = preparePrime(prime, model.vocab, skipUnknown, 'remove them, or send "skipUnknown": true to drop them').ids;
  } catch (e) {
    if (e instanceof CharnnError) throw new HttpError(400, e.why, e.hint, 'cannot use the prime');
    throw e;
  }
  if (ids.length > length) {
    throw new HttpError(400, `the prime has ${ids.length} characters, more than length ${length}`, 'raise length (it counts the prime) or shorten the prime', 'cannot sample');
  }
  return {
    model,
    primeText: model.vocab.decode(ids),
    context: startIds(ids, model.vocab),
    temperature,
    topK,
    topP,
    seed,
    length,
    draw: length - ids.length,
  };
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

/** A numeric option through its command-line parser (the same ranges and reasons as `charnn sample`). */
function option<K extends 'temp' | 'topK' | 'topP' | 'length' | 'seed'>(key: K, value: unknown): number {
  const spec = SAMPLE[key];
  if (value === undefined) return spec.default;
  if (typeof value !== 'number' || !Number.isFinite(value)) typeError(key, value, 'a number');
  try {
    return spec.parse(String(value));
  } catch (e) {
    if (e instanceof OptionValueError) throw new HttpError(400, `${key} ${String(value)}: ${e.message.replace(/\.$/, '')}`, EXPECTED[key]);
    throw e;
  }
}

function typeError(key: string, value: unknown, want: string): never {
  const got = value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value === 'string' ? `the string ${JSON.stringify(value.slice(0, 40))}` : typeof value;
  throw new HttpError(400, `${key} must be ${want}, got ${got}`, 'options are JSON values, e.g. {"prime": "ROMEO:", "temp": 0.5, "seed": 7}');
}

function suggest(key: string): Key | undefined {
  const norm = key.toLowerCase().replace(/[^a-z]/g, '');
  return REQUEST_KEYS.find((k) => k.toLowerCase() === norm) ?? ALIASES[norm];
}
