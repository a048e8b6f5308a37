/**
 * The library's front door for sampling: `const m = await loadModel(path)`, then `m.sample({...})` for a string or
 * `m.stream({...})` for an async iterator of text chunks. A thin adapter over the sample command
 * (src/commands/sample/): the same checkpoint lookup (a file, a run folder, or nothing: the newest run under
 * ./checkpoints/, else the bundled model), the same options with the same defaults and checks (the SAMPLE table),
 * the same plan and the same generator, so for the same options and seed the text is the one `charnn sample`
 * prints, byte for byte, and an unusable prime or option is the same error.
 */
import type { Checkpoint } from '../checkpoint/schema.js';
import type { Vocab } from '../data/vocab.js';
import { CharnnError } from '../errors.js';
import { DEFAULT_BACKEND, DEFAULT_THREADS, SAMPLE, type SimdMode } from '../options.js';
import { quietIo } from '../commands/io.js';
import { generateText } from '../commands/sample/generate.js';
import { loadModelFor, type LoadedModel } from '../commands/sample/model.js';
import { checkSampleOptions, KEYS, planSample, type SamplePlan, type SampleValues } from '../commands/sample/plan.js';
import { valuesFrom } from '../commands/values.js';

export interface LoadModelOptions {
  /** compute backend (default: the CLI's: native, else wasm) */
  backend?: string;
  /** worker threads (default: the machine's cores, as the CLI) */
  threads?: number;
  /** wasm build (default 'auto') */
  simd?: SimdMode;
  /** where relative paths and ./checkpoints/ are looked for (default: process.cwd()) */
  cwd?: string;
}

/** `charnn sample`'s options, named as in `--help` (camelCase); left out, the command line's defaults. */
export interface GenerateOptions {
  /** text to start from; it is part of the result, as `charnn sample` prints it (default: none) */
  prime?: string;
  /** characters of the result, prime included (default 1000, as --length); stream(): 0 or Infinity for no end.
   *  Line-mode models: the most characters of a line */
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
  /** beam search with this many beams: the most likely text (stream models) */
  beam?: number;
  /** strings never to emit */
  ban?: string[];
  /** end the text at the first occurrence of this, or of any of these (stream models) */
  stopAt?: string | string[];
  /** line-mode models: how many lines (default 20), and no line twice */
  count?: number;
  unique?: boolean;
  /** line-mode models: one JSON object per line (text, logProb, ended) */
  json?: boolean;
}

/** The GenerateOptions keys, as the SAMPLE table names them. */
const GENERATE_KEYS = ['prime', 'length', 'temp', 'topK', 'topP', 'seed', 'skipUnknown', 'beam', 'ban', 'stopAt', 'count', 'unique', 'json'] as const;

export class CharnnModel {
  /** the seed of the latest sample() or stream() */
  lastSeed: number | null = null;

  constructor(private readonly loaded: LoadedModel) {}

  /** the checkpoint file read */
  get path(): string {
    return this.loaded.file;
  }
  get checkpoint(): Checkpoint {
    return this.loaded.checkpoint;
  }
  get vocab(): Vocab {
    return this.loaded.vocab;
  }

  /** The whole text (prime included) as one string: what `charnn sample` prints. */
  sample(o: GenerateOptions = {}): string {
    if (o.length !== undefined && (!Number.isFinite(o.length) || o.length === 0)) throw new CharnnError('sample() needs a finite length', 'use stream() for text without end');
    let text = '';
    for (const chunk of this.generate(o, false)) text += chunk;
    return text;
  }

  /** The same text as sample(), as chunks (the prime first) while it is made; length 0 or Infinity: without end.
   *  Each chunk lets the event loop run, so a long stream does not block the process. */
  async *stream(o: GenerateOptions = {}): AsyncGenerator<string, void, undefined> {
    for (const chunk of this.generate(o, o.length === 0 || o.length === Infinity)) {
      yield chunk;
      await new Promise((r) => setImmediate(r));
    }
  }

  /** Stop the backend's worker threads (they never keep the process alive, but hold memory). */
  close(): void {
    this.loaded.kernels.dispose();
  }

  private generate(o: GenerateOptions, forever: boolean): Generator<string, unknown, undefined> {
    const plan = this.plan(o, forever);
    return generateText(plan, this.loaded.model, this.loaded.vocab);
  }

  /** The sample command's plan for these options (checked as the command line checks them). */
  private plan(o: GenerateOptions, forever: boolean): SamplePlan {
    const { onDropped, ...rest } = o;
    const doc: Record<string, unknown> = { ...rest };
    if (typeof doc.stopAt === 'string') doc.stopAt = [doc.stopAt]; // one stop string, as the command line's one --stop-at
    if (forever) doc.length = undefined;
    const { values, given } = valuesFrom(SAMPLE, doc, { keys: GENERATE_KEYS });
    if (forever) {
      (values as SampleValues).forever = true;
      given.add('forever');
    }
    checkSampleOptions(values, given, KEYS);
    const plan = planSample(values, given, o.prime ?? '', this.loaded, KEYS);
    if (plan.dropped.size) onDropped?.(plan.dropped);
    this.lastSeed = plan.seed;
    return plan;
  }
}

/**
 * Load a checkpoint for sampling. `path`: a checkpoint .json, a run folder (its best.json, else latest.json), or
 * nothing (the newest run under ./checkpoints/, else the model bundled with charnn), as `charnn sample` decides.
 */
export async function loadModel(path?: string, o: LoadModelOptions = {}): Promise<CharnnModel> {
  const io = quietIo({ cwd: o.cwd ?? process.cwd(), env: process.env });
  const backend = { backend: o.backend ?? DEFAULT_BACKEND, threads: o.threads ?? DEFAULT_THREADS, simd: o.simd ?? 'auto' };
  return new CharnnModel(await loadModelFor(path, backend, o.backend !== undefined, io, 'cannot load a model'));
}
