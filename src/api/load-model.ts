/**
 * The library's front door for sampling: `const m = await loadModel(path)`, then `m.sample({...})` for a string or
 * `m.stream({...})` for an async iterator of text chunks. Same defaults as `charnn sample` (src/options.ts), same
 * checkpoint lookup (a file, a run folder, or nothing: the newest run under ./checkpoints/, else the bundled model),
 * the same prime handling (sample/prime.ts) and the same backend: for the same options and seed the text is the
 * one `charnn sample` prints.
 */
import { randomInt } from 'node:crypto';
import { resolve } from 'node:path';
import { checkpointInFolder, findDefaultCheckpoint } from '../checkpoint/find.js';
import { loadCheckpoint } from '../checkpoint/io.js';
import { modelFromCheckpoint } from '../checkpoint/run-state.js';
import type { Checkpoint } from '../checkpoint/schema.js';
import { Vocab } from '../data/vocab.js';
import { DEFAULT_BACKEND, DEFAULT_THREADS, relaxedFor, SAMPLE_DEFAULTS, type SimdMode } from '../options.js';
import { CharnnError } from '../errors.js';
import { createKernels } from '../math/backend.js';
import type { Kernels } from '../math/kernels.js';
import type { CharRNN } from '../model/char-rnn.js';
import { preparePrime, startIds } from '../sample/prime.js';
import { Sampler } from '../sample/sampler.js';

export interface LoadModelOptions {
  /** compute backend (default: the CLI's, the fastest available) */
  backend?: string;
  /** worker threads (default: the machine's cores, as the CLI) */
  threads?: number;
  /** wasm build (default 'auto') */
  simd?: SimdMode;
  /** where ./checkpoints/ is looked for when no path is given (default: process.cwd()) */
  cwd?: string;
}

export interface GenerateOptions {
  /** text to start from; it is part of the result, as `charnn sample` prints it (default: none) */
  prime?: string;
  /** characters of the result, prime included (default 1000, as --length); stream(): 0 or Infinity for no end */
  length?: number;
  /** temperature (default 0.8); 0 always takes the most likely character */
  temp?: number;
  /** draw among the k most likely characters (default 0: off) */
  topK?: number;
  /** draw among the most likely characters totalling p (default 1: off) */
  topP?: number;
  /** seed of the draws (default: random; the one used is `model.lastSeed`) */
  seed?: number;
  /** drop prime characters the model never saw instead of throwing (`onDropped` is told which, and how often) */
  skipUnknown?: boolean;
  onDropped?: (dropped: Map<string, number>) => void;
}

export class CharnnModel {
  /** the seed of the latest sample() or stream() */
  lastSeed: number | null = null;
  readonly vocab: Vocab;

  constructor(
    /** the checkpoint file read */
    readonly path: string,
    readonly checkpoint: Checkpoint,
    private readonly model: CharRNN,
    private readonly kernels: Kernels,
  ) {
    this.vocab = Vocab.fromChars(checkpoint.vocab);
  }

  /** `length` characters of text (prime included) as one string. */
  sample(o: GenerateOptions = {}): string {
    const length = o.length ?? SAMPLE_DEFAULTS.length;
    if (!Number.isFinite(length) || length === 0) throw new CharnnError('sample() needs a finite length', 'use stream() for text without end');
    const { sampler, prime, rest } = this.start(o, length);
    let text = prime;
    for (const chunk of sampler.generate(rest)) text += chunk;
    return text;
  }

  /** The same text as sample(), as chunks (the prime first) while it is made; length 0 or Infinity: without end.
   *  Each chunk lets the event loop run, so a long stream does not block the process. */
  async *stream(o: GenerateOptions = {}): AsyncGenerator<string, void, undefined> {
    const asked = o.length ?? SAMPLE_DEFAULTS.length;
    const length = asked === 0 ? Infinity : asked;
    const { sampler, prime, rest } = this.start(o, length);
    if (prime) yield prime;
    for (const chunk of sampler.generate(rest)) {
      yield chunk;
      await new Promise((r) => setImmediate(r));
    }
  }

  /** Stop the backend's worker threads (they never keep the process alive, but hold memory). */
  close(): void {
    this.kernels.dispose();
  }

  /** A sampler primed as `charnn sample` primes it; `rest` is how many characters to draw after the prime. */
  private start(o: GenerateOptions, length: number): { sampler: Sampler; prime: string; rest: number } {
    if (!(length >= 0) || (Number.isFinite(length) && !Number.isInteger(length))) throw new CharnnError(`length must be a whole number >= 0, got ${length}`);
    const seed = o.seed ?? randomInt(0, 2 ** 32);
    const sampler = new Sampler(this.model, this.vocab, { temperature: o.temp ?? SAMPLE_DEFAULTS.temp, topK: o.topK ?? SAMPLE_DEFAULTS.topK, topP: o.topP ?? SAMPLE_DEFAULTS.topP, seed }, 64);
    const p = preparePrime(o.prime ?? '', this.vocab, o.skipUnknown ?? false);
    if (p.dropped.size) o.onDropped?.(p.dropped);
    if (p.ids.length > length) throw new CharnnError(`the prime has ${p.ids.length} characters, more than length ${length}`, 'raise length (it counts the prime) or shorten the prime');
    sampler.feed(startIds(p.ids, this.vocab));
    this.lastSeed = seed;
    return { sampler, prime: p.text, rest: length - p.ids.length };
  }
}

/**
 * Load a checkpoint for sampling. `path`: a checkpoint .json, a run folder (its best.json, else latest.json), or
 * nothing (the newest run under ./checkpoints/, else the model bundled with charnn), as `charnn sample` decides.
 */
export async function loadModel(path?: string, o: LoadModelOptions = {}): Promise<CharnnModel> {
  const cwd = o.cwd ?? process.cwd();
  let file: string;
  if (path === undefined) {
    const found = findDefaultCheckpoint(cwd);
    if (!found) throw new CharnnError('no checkpoint given and none found under ./checkpoints/', 'train one first: charnn train FILE', 'cannot load a model');
    file = found.path;
  } else {
    const abs = resolve(cwd, path);
    file = checkpointInFolder(abs)?.path ?? abs;
  }
  const ckpt = loadCheckpoint(file);
  const kernels = await createKernels(o.backend ?? DEFAULT_BACKEND, { threads: o.threads ?? DEFAULT_THREADS, relaxed: relaxedFor(o.simd ?? 'auto') });
  try {
    return new CharnnModel(file, ckpt, modelFromCheckpoint(kernels, ckpt), kernels);
  } catch (e) {
    kernels.dispose();
    throw e;
  }
}
