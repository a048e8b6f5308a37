/**
 * `sample`: text from a checkpoint, as its phases: plan (plan.ts: options checked, the prime prepared), set up
 * (model.ts: checkpoint, backend, model; the prime file; the training list for --novel), run (generate.ts: the
 * text, written to the io port's output as it is made, waiting for a slow reader, ending quietly when the reader
 * goes), report (the seed of a random sample, what --novel and --unique let through).
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { resolve } from 'node:path';
import { attempt, EXIT } from '../../errors.js';
import { describeDropped } from '../../sample/prime.js';
import type { Io } from '../io.js';
import { generateText, type SampleSummary } from './generate.js';
import { loadModelFor } from './model.js';
import { checkSampleOptions, planSample, type SamplePlan, type SampleValues } from './plan.js';
import { trainingLines } from './training-lines.js';

export interface SampleInput {
  /** a checkpoint .json, a run folder, or undefined: the newest run under ./checkpoints/, else the bundled model */
  checkpoint?: string;
  values: SampleValues;
  given: ReadonlySet<keyof SampleValues>;
}

export async function runSample({ checkpoint, values: o, given }: SampleInput, io: Io): Promise<number> {
  checkSampleOptions(o, given);
  const loaded = await loadModelFor(checkpoint, o, given.has('backend'), io);
  try {
    const prime = given.has('primeFile') ? await readPrime(o.primeFile, io) : o.prime;
    const plan = planSample(o, given, prime, loaded);
    if (plan.dropped.size) {
      const n = [...plan.dropped.values()].reduce((a, b) => a + b, 0);
      io.warn(`--skip-unknown dropped ${n} prime character${n > 1 ? 's' : ''} the model never saw: ${describeDropped(plan.dropped)}`);
    }
    const known = plan.lines.novel ? await trainingLines(loaded.checkpoint, o.corpus, io) : null;
    // a random sample says its seed, so it can be had again, once every input is valid
    if (plan.randomSeed) io.info(`seed ${plan.seed} (random; --seed ${plan.seed} gives this text again)`);

    const text = generateText(plan, loaded.model, loaded.vocab, known);
    let last = '';
    let step = text.next();
    while (!step.done) {
      if (!(await io.out.write(step.value))) return EXIT.OK; // the reader went away: a normal end for a pipe
      last = step.value;
      step = text.next();
    }
    if (io.out.isTTY && plan.kind !== 'lines' && !last.endsWith('\n')) await io.out.write('\n');
    report(plan, step.value, io);
    return EXIT.OK;
  } finally {
    loaded.kernels.dispose();
  }
}

function report(plan: SamplePlan, s: SampleSummary, io: Io): void {
  if (s.beam) io.debug(`beam ${plan.beam}: ${s.beam.natsPerChar.toFixed(4)} nats per character over ${s.beam.scored} (prime included)`);
  if (!s.lines) return;
  const { drawn, novel, printed } = s.lines;
  const { count, novel: askedNovel, unique } = plan.lines;
  if (askedNovel) io.info(`novel: ${novel} of ${drawn} drawn (${((100 * novel) / drawn).toFixed(1)}%) are not in the training list`);
  if (printed < count) {
    io.warn(`only ${printed} of ${count} lines passed ${[askedNovel ? '--novel' : '', unique ? '--unique' : ''].filter(Boolean).join(' and ')} in ${drawn} draws (raise --temp for more variety)`);
  }
}

/** The prime file's text ('-': standard input). BOM and line ends are the plan's job. */
async function readPrime(path: string, io: Io): Promise<string> {
  return attempt(`cannot read the prime ${path === '-' ? 'from standard input' : `file ${path}`}`, async () => {
    if (path === '-') return Buffer.from(await io.stdin()).toString('utf8');
    try {
      return readBounded(resolve(io.cwd, path));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new Error(code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a folder' : (e as Error).message);
    }
  });
}

/** The most a prime file may hold: far beyond any prime worth feeding, and a bound on what a FIFO or an endless
 *  file (`--prime-file /dev/zero`) can make charnn read. */
const MAX_PRIME_BYTES = 16 << 20;

/** A prime file's text, read in chunks up to MAX_PRIME_BYTES (a FIFO, `<(...)`, works; a device is refused). */
function readBounded(path: string): string {
  const fd = openSync(path, 'r');
  try {
    const st = fstatSync(fd);
    if (st.isCharacterDevice() || st.isBlockDevice()) throw new Error('it is a device, not a text file');
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const b = Buffer.allocUnsafe(1 << 16);
      const n = readSync(fd, b, 0, b.length, null);
      if (n === 0) break;
      total += n;
      if (total > MAX_PRIME_BYTES) throw new Error(`it holds more than ${MAX_PRIME_BYTES >> 20} MB; a prime is the start of a text`);
      chunks.push(b.subarray(0, n));
    }
    return Buffer.concat(chunks).toString('utf8');
  } finally {
    closeSync(fd);
  }
}
