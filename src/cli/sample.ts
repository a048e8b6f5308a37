/**
 * `charnn sample [checkpoint]`: generated text on stdout, streamed in small chunks as it is made.
 * Writes wait for 'drain' when the pipe is full (a slow reader never makes memory grow), and a closed pipe
 * (`| head -c 100`) ends the command quietly with status 0. Nothing but the text goes to stdout.
 */
import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { checkpointInFolder } from '../checkpoint/find.js';
import { loadCheckpoint } from '../checkpoint/io.js';
import { readStream } from '../data/corpus.js';
import type { Checkpoint } from '../checkpoint/schema.js';
import { prepareText, preparationOf, UNKNOWN_CHAR, type Preparation } from '../data/prepare.js';
import { Vocab } from '../data/vocab.js';
import { createKernels } from '../math/backend.js';
import { backendOptions, chooseBackend } from '../commands/common/backend.js';
import type { Kernels } from '../math/kernels.js';
import { Bans } from '../sample/ban.js';
import { beamSearch } from '../sample/beam.js';
import { describeDropped, preparePrime, startIds } from '../sample/prime.js';
import { Sampler, type StepModel } from '../sample/sampler.js';
import { attempt, attemptSync, CharnnError, EXIT } from '../errors.js';
import { displayPath, findDefaultCheckpoint } from './inputs.js';
import { addOptions, COMMON, readOptions, SAMPLE } from './options.js';
import { modelFromCheckpoint } from '../checkpoint/run-state.js';
import { sampleLines } from './sample-lines.js';
import { isLineModel } from '../model/config.js';
import { StdoutStream } from './stdio.js';
import { Ui } from './ui.js';

export function registerSample(program: Command): void {
  const cmd = program
    .command('sample')
    .description('generate text from a checkpoint; prints only the text on stdout')
    .argument('[checkpoint]', 'a checkpoint .json or a run folder (its best.json, else latest.json; default: the newest under ./checkpoints/, else the bundled model)');
  addOptions(cmd, SAMPLE);
  addOptions(cmd, COMMON);
  cmd.action(async (path: string | undefined, _o: unknown, self: Command) => {
    const common = readOptions(self, COMMON).values;
    const ui = new Ui({ color: common.color, quiet: common.quiet, verbose: common.verbose });
    const held: { kernels?: Kernels } = {};
    try {
      process.exitCode = await sample(path, self, ui, held);
    } finally {
      held.kernels?.dispose();
    }
  });
}

/** The prime prepared as the training corpus was (newlines, NFC; with --min-char-count, characters the model does
 *  not have become its unknown symbol, as rare ones did in training). */
function asTrained(prime: string, ckpt: Checkpoint, vocab: Vocab): string {
  const prep = preparationOf(ckpt.corpus?.preparation ?? (ckpt.config as Partial<Preparation>));
  const text = prepareText(prime, prep);
  if (prep.minCharCount <= 1 || vocab.idOf(UNKNOWN_CHAR) < 0) return text;
  let out = '';
  for (const ch of text) out += vocab.idOf(ch) >= 0 ? ch : UNKNOWN_CHAR;
  return out;
}

async function sample(pathArg: string | undefined, cmd: Command, ui: Ui, held: { kernels?: Kernels }): Promise<number> {
  const { values: o, given } = readOptions(cmd, SAMPLE);
  if (given.has('prime') && given.has('primeFile')) throw CharnnError.usage('--prime and --prime-file both given', 'use one of them');
  const forever = o.forever || o.length === 0;
  if (o.beam > 0) {
    if (forever) throw CharnnError.usage('beam search needs a --length', 'it prints the most likely text once it is complete', 'invalid options');
    const sampling = (['temp', 'topK', 'topP'] as const).filter((k) => given.has(k));
    if (sampling.length) throw CharnnError.usage(`--beam with --${sampling.map((k) => k.replace(/[A-Z]/g, (m) => '-' + m.toLowerCase())).join(', --')}`, 'beam search draws nothing: drop them', 'invalid options');
  }

  let path = pathArg;
  if (!path) {
    const found = findDefaultCheckpoint();
    if (!found) {
      throw new CharnnError('no checkpoint given and none found under ./checkpoints/', 'train one first: charnn train FILE, then charnn sample', 'cannot sample');
    }
    path = found.path;
    ui.info(`sampling from ${displayPath(path)} (${found.why})`);
  }
  const inRun = checkpointInFolder(path);
  if (inRun) {
    path = displayPath(inRun.path);
    ui.info(`sampling from ${path} (${inRun.why})`);
  }
  const ckpt = loadCheckpoint(path);
  const prime = given.has('primeFile')
    ? await attempt(`cannot read the prime ${o.primeFile === '-' ? 'from standard input' : `file ${o.primeFile}`}`, () => readPrimeFile(o.primeFile))
    : o.prime;

  o.backend = chooseBackend(o.backend, given.has('backend'), ui);
  const kernels = await attempt(`cannot start the ${o.backend} backend`, () => createKernels(o.backend, backendOptions(o, process.env)));
  held.kernels = kernels;
  const seed = o.seed >= 0 ? o.seed : randomInt(0, 2 ** 32);

  const vocab = Vocab.fromChars(ckpt.vocab);
  const model = attemptSync(`cannot load checkpoint ${path}`, () => modelFromCheckpoint(kernels, ckpt));
  // a banned string with a character the model never saw can never be emitted: nothing to ban
  const ban = new Bans(o.ban.filter((b) => [...b].every((c) => vocab.has(c))).map((b) => [...b].map((c) => vocab.idOf(c))));
  const sampler = attemptSync('invalid sampling options', () => new Sampler(model, vocab, { temperature: o.temp, topK: o.topK, topP: o.topP, seed, ban }, 64));
  const p = attemptSync('cannot use the prime', () => preparePrime(asTrained(prime, ckpt, vocab), vocab, o.skipUnknown));
  if (p.dropped.size) {
    const n = [...p.dropped.values()].reduce((a, b) => a + b, 0);
    ui.warn(`--skip-unknown dropped ${n} prime character${n > 1 ? 's' : ''} the model never saw: ${describeDropped(p.dropped)}`);
  }
  const primeIds = p.ids;
  const primeText = p.text;
  const primeLen = primeIds.length;
  // a random sample says its seed, so it can be had again (stderr; -q hides it), once every input is valid; at
  // temperature 0 there are no draws, so no seed to tell
  const tellSeed = () => {
    if (o.seed < 0 && o.temp > 0) ui.info(`seed ${seed} (random; --seed ${seed} gives this text again)`);
  };
  if (isLineModel(model.config)) {
    if (given.has('stopAt') || given.has('forever')) throw CharnnError.usage(`${given.has('stopAt') ? '--stop-at' : '--forever'} is for stream models; this one samples lines`, 'drop it: every line stops at its end token or --length');
    return sampleLines(ckpt, model, vocab, primeIds, seed, o, new StdoutStream(process.stdout), ui, tellSeed);
  }
  for (const flag of ['count', 'novel', 'unique', 'json', 'corpus'] as const) {
    if (given.has(flag)) throw CharnnError.usage(`--${flag} needs a line-mode model (train one with --lines); this one samples a stream`, 'drop it, or use --stop-at to end a sample');
  }
  if (!forever && primeLen > o.length) {
    throw CharnnError.usage(`the prime has ${primeLen} characters, more than --length ${o.length}`, 'raise --length (it counts the prime) or shorten the prime', 'cannot sample');
  }
  if (o.beam > 0) return beamOut(model, vocab, primeIds, o.beam, o.length - primeLen, ban, ui);
  sampler.feed(startIds(primeIds, vocab));
  tellSeed();

  const out = new StdoutStream(process.stdout);
  if (primeText && !(await out.write(primeText))) return EXIT.OK;
  let last = primeText;
  const stop = o.stopAt ? new StopAt(o.stopAt, primeText) : null;
  for (let chunk of sampler.generate(forever ? Infinity : o.length - primeLen)) {
    const end = stop?.find(chunk) ?? -1;
    if (end >= 0) chunk = chunk.slice(0, end);
    if (!(await out.write(chunk))) return EXIT.OK; // the reader went away: a normal end for a pipe
    last = chunk;
    if (end >= 0) break;
  }
  if (process.stdout.isTTY && !last.endsWith('\n')) await out.write('\n');
  return EXIT.OK;
}

/** --stop-at: where in a chunk the first occurrence of the stop text ends (it may begin in earlier chunks or in
 *  the prime's tail; an occurrence wholly inside the prime does not count), or -1. */
class StopAt {
  private tail: string;
  constructor(private readonly text: string, prime: string) {
    const keep = text.length - 1;
    this.tail = keep > 0 ? prime.slice(-keep) : '';
  }
  find(chunk: string): number {
    const hay = this.tail + chunk;
    const at = hay.indexOf(this.text);
    if (at >= 0) return at + this.text.length - this.tail.length;
    this.tail = this.text.length > 1 ? hay.slice(-(this.text.length - 1)) : '';
    return -1;
  }
}

/** `--beam K`: the most likely text, printed once it is complete (prime first, as sampling prints it). */
async function beamOut(model: StepModel, vocab: Vocab, primeIds: number[], K: number, length: number, ban: Bans, ui: Ui): Promise<number> {
  const nl = vocab.idOf('\n');
  // no prime: start as after a line break, as sampling does (not printed, not scored)
  const context = primeIds.length ? primeIds : nl >= 0 ? [nl] : [0];
  const r = attemptSync('beam search failed', () => beamSearch(model, context, { width: K, length, ban }));
  ui.debug(`beam ${K}: ${(r.logProb / Math.max(1, r.scored)).toFixed(4)} nats per character over ${r.scored} (prime included)`);
  const text = vocab.decode(primeIds) + vocab.decode(r.ids);
  const out = new StdoutStream(process.stdout);
  if (text && !(await out.write(text))) return EXIT.OK;
  if (process.stdout.isTTY && !text.endsWith('\n')) await out.write('\n');
  return EXIT.OK;
}

/** The prime file's text ('-': standard input). BOM and line ends are preparePrime's job. */
async function readPrimeFile(path: string): Promise<string> {
  if (path === '-') return Buffer.from(await readStream(process.stdin)).toString('utf8');
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a folder' : (e as Error).message);
  }
}
