/**
 * THE defaults table. Every command-line option of every command is one row here: its flag, its default (what
 * `--help` shows and docs/cli.md documents), its parser (which also validates), and a comment saying why the
 * default is what it is. The commands' options are generated from these rows, and the effective values of a
 * training run are written into its checkpoint.
 *
 * The library (src/index.ts: train) takes its defaults from here too, so it trains as the CLI does; the commander
 * wiring (addOptions, readOptions) is in src/cli/options.ts.
 *
 * Training defaults target a good result on a 2-core laptop in a few minutes, chosen by measurement (docs/defaults-measured.md).
 */
import { NEWLINE_MODES, type NewlineMode } from './data/prepare.js';
import { availableParallelism } from 'node:os';
import { BACKEND_NAMES } from './math/backend.js';
import { CELL_TYPES, DROPOUT_MODES, INIT_SCHEMES, START_STATES, type DropoutMode } from './model/config.js';
import { ADAMW_DEFAULT_DECAY, OPTIMIZER_NAMES } from './train/optimizer.js';
import { SCHEDULE_KINDS } from './train/schedule.js';
import { TRAIN_CONFIG_KEYS, type TrainConfig } from './train/trainer.js';

/** One option: `flags` as commander spells them, the default, the help line, and a parser that validates. */
export interface OptSpec<T = unknown> {
  flags: string;
  default: T;
  help: string;
  /** how the default reads in --help when the value alone would mislead */
  show?: string;
  /** `previous`: the value so far, for repeatable options (the default at the first occurrence) */
  parse?(raw: string, previous?: T): T; // method syntax: a table of specs of any T is a Table
  /** old spellings of the long flag ('--force'): still accepted, hidden from --help, each use warned with the name
   *  to use instead (one vocabulary across commands) */
  aliases?: readonly string[];
}

// ---- parsers: each throws OptionValueError with the reason; the CLI hands it to commander, which names the option

/** A value an option cannot take; `message` is the reason ("must be at least 1"). */
export class OptionValueError extends Error {
  override name = 'OptionValueError';
}

const fail = (why: string): never => {
  throw new OptionValueError(why);
};

function num(raw: string): number {
  const s = raw.trim();
  const v = s === '' ? NaN : Number(s);
  if (!Number.isFinite(v)) fail('not a number');
  return v;
}
const int = (lo: number, hi = Number.MAX_SAFE_INTEGER) => (raw: string): number => {
  const v = num(raw);
  if (!Number.isInteger(v)) fail('must be a whole number');
  if (v < lo) fail(hi === Number.MAX_SAFE_INTEGER ? `must be at least ${lo}` : `must be between ${lo} and ${hi}`);
  if (v > hi) fail(hi === Number.MAX_SAFE_INTEGER ? `must be at most ${hi} (the largest whole number held exactly)` : `must be between ${lo} and ${hi}`);
  return v;
};
/** a number in a range; `loOpen`/`hiOpen` exclude the bound */
const real = (lo: number, hi: number, loOpen = false, hiOpen = false) => (raw: string): number => {
  const v = num(raw);
  const okLo = loOpen ? v > lo : v >= lo;
  const okHi = hiOpen ? v < hi : v <= hi;
  if (!okLo || !okHi) {
    if (hi === Infinity) fail(`must be ${loOpen ? 'greater than' : 'at least'} ${lo}`);
    fail(`must be in ${loOpen ? '(' : '['}${lo}, ${hi}${hiOpen ? ')' : ']'}`);
  }
  return v;
};
const choice = <T extends string>(list: readonly T[]) => (raw: string): T => {
  if (!list.includes(raw as T)) fail(`must be one of ${list.join(', ')}`);
  return raw as T;
};
const text = (raw: string): string => raw;
/** a 32-bit seed, or 'random' (-1: drawn when the command runs) */
const seedOrRandom = (raw: string): number => (raw.trim().toLowerCase() === 'random' ? -1 : int(0, 0xffffffff)(raw));
const nonEmpty = (raw: string): string => (raw.trim() === '' ? fail('must not be empty') : raw);
/** any text but the empty string: whitespace is text here (--stop-at $'\\n\\n', a blank line) */
const notEmptyString = (raw: string): string => (raw === '' ? fail('must not be empty') : raw);
/** A web origin as browsers send it: scheme://host[:port], nothing more (never * or null). */
const origin = (raw: string): string => (/^https?:\/\/[a-z0-9.-]+(:\d{1,5})?$|^https?:\/\/\[[0-9a-f:.]+\](:\d{1,5})?$/i.test(raw) ? raw.toLowerCase() : fail('must be an origin such as https://app.example:3000 (scheme, host and port; no path, no *)'));

/** '10m', '90s', '1h30m', '1.5h', '45' (seconds) -> seconds; '0' = no limit. */
export function parseDuration(raw: string): number {
  const s = raw.trim().toLowerCase();
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s);
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g;
  const unit: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 };
  let total = 0;
  let consumed = 0;
  for (const m of s.matchAll(re)) {
    if (m.index !== consumed) break;
    total += Number(m[1]) * unit[m[2]];
    consumed += m[0].length;
  }
  if (consumed === 0 || consumed !== s.length) fail('must be a duration such as 90s, 10m, 1h30m');
  return total;
}

/** The backend used when --backend is not given: native (C++ kernels, docs/speed.md), and where its addon does not
 *  load, wasm (commands/common/backend.ts falls back and says why, once). Nothing is loaded here: importing the
 *  library or the table loads no backend. */
export const DEFAULT_BACKEND: string = 'native';
/** How --help and docs/cli.md state that default (the same text wherever the addon loads or not). */
const BACKEND_SHOWN = 'native, else wasm';
/** Worker threads: every core the machine offers (large products split across them; small ones stay on the
 *  calling thread, so extra threads never slow a step down). */
export const DEFAULT_THREADS = Math.max(1, availableParallelism());

/** wasm builds: auto = relaxed SIMD (fused multiply-add) where the runtime can run it, else SIMD128. */
export const SIMD_MODES = ['auto', 'relaxed', 'simd128'] as const;
export type SimdMode = (typeof SIMD_MODES)[number];
/** The backend factory's `relaxed` option for a --simd value. */
export function relaxedFor(mode: SimdMode): boolean | undefined {
  return mode === 'auto' ? undefined : mode === 'relaxed';
}
/** Shared by train, sample and eval: large products split across this many threads (the batch-1 products of a
 *  2x512 model run 1.8x faster on 2 than on 1, bench:kernels); products below ~128k multiply-adds stay on the
 *  calling thread anyway. */
const THREADS_OPTION = {
  flags: '--threads <n>', default: DEFAULT_THREADS, show: "the machine's cores", parse: int(1, 64),
  help: 'worker threads for backends that use them',
} satisfies OptSpec<number>;

/** One row shared by train, sample and eval. auto: fused multiply-add makes products 1.3-1.5x faster (docs/speed.md);
 *  simd128 gives results that do not depend on whether the CPU fuses (the two agree to float32 rounding). */
const SIMD_OPTION = {
  flags: '--simd <build>', default: 'auto' as SimdMode, parse: choice(SIMD_MODES),
  help: 'wasm backend build: auto (fused multiply-add where the runtime has it), relaxed (require it), simd128 (never)',
} satisfies OptSpec<SimdMode>;

/** `--lr-schedule auto` decays by a cosine over time budgets from this long (measured: docs/defaults-measured.md) */
export const AUTO_COSINE_MIN_MINUTES = 10;

// ---- the tables ------------------------------------------------------------------------------------------------

/** Options every command has; the program has them too, so they go before or after the command name. */
export const COMMON = {
  verbose: { flags: '--verbose', default: false, help: 'more detail on stderr, and stack traces on errors' }, // off: errors are one line
  quiet: { flags: '-q, --quiet', default: false, help: 'only errors and warnings on stderr' }, // off: progress is what a terminal user wants
  color: { flags: '--no-color', default: true, help: 'no colour on stderr (NO_COLOR=1 too)' }, // colour only where stderr supports it
} satisfies Record<string, OptSpec>;

export const TRAIN = {
  // ---- model
  cell: { flags: '--cell <type>', default: 'gru', help: `recurrent cell: ${CELL_TYPES.join(', ')}`, parse: choice(CELL_TYPES) }, // GRU: measured (docs/defaults-measured.md): lowest validation loss in 5 minutes; it learns faster per character than an LSTM and costs 3/4 as much
  layers: { flags: '--layers <n>', default: 2, help: 'stacked recurrent layers', parse: int(1, 64) }, // 2 layers: clearly better than 1 on characters; 3 costs half as much again per character
  hidden: { flags: '--hidden <n>', default: 256, help: 'hidden units per layer', parse: int(1, 16384) }, // 256 (with dropout 0.2): measured (docs/defaults-measured.md) best at 5 and 10 minutes on 2 cores with the FMA kernels: 1.559 and 1.504 nats, against 1.578 and 1.603 for 2x128, which overfits by then
  dropout: { flags: '--dropout <p>', default: 0.2, help: 'dropout between layers, in [0, 1)', parse: real(0, 1, false, true) }, // 0.2: a 2x256 model sees tiny Shakespeare several times in minutes; without dropout it overfits as 2x128 does
  dropoutMode: { flags: '--dropout-mode <mode>', default: 'element' as DropoutMode, help: 'element: a fresh dropout mask per character; variational: one mask per stream per window, the same at every step (AWD-LSTM)', parse: choice(DROPOUT_MODES) }, // element: what every measured default so far used; variational is one of issue 17's recipes to measure
  weightDrop: { flags: '--weight-drop <p>', default: 0, help: 'drop this fraction of the recurrent weights (W_hh, DropConnect) anew every training step, in [0, 1)', parse: real(0, 1, false, true) }, // off: AWD-LSTM's regulariser for large LSTMs, to be measured on 2-core budgets (issue 17)
  layerNorm: { flags: '--layer-norm', default: false, help: 'layer normalisation in the cell (gru, lstm): of the input and recurrent pre-activations, and of the lstm cell' }, // off: not yet measured to pay for its cost per step (issue 17); off is bit-identical to the models before it
  embed: { flags: '--embed <n>', default: 0, help: 'learned input embedding of n values per character in place of one-hot (0: one-hot)', parse: int(0, 65536) }, // 0: one-hot is exact and cheapest at small vocabularies; an embedding shrinks layer 0's weights for a large one (CJK) and shares what similar characters have in common
  init: { flags: '--init <scheme>', default: 'pytorch', help: `weight initialisation: ${INIT_SCHEMES.join(', ')}`, parse: choice(INIT_SCHEMES) }, // PyTorch's uniform ±1/sqrt(H) beat char-rnn's ±0.08 in the reference runs
  // ---- data
  seq: { flags: '--seq <n>', default: 64, help: 'characters per training window (BPTT length)', parse: int(1) }, // 64 (with batch 32): for 2x256 a little ahead of 50 x 50 at 5 and 10 minutes (1.559 vs 1.562, 1.504 vs 1.514)
  batch: { flags: '--batch <n>', default: 32, help: 'parallel streams per step (with --lines: lines per step)', parse: int(1) }, // 32: more steps in the budget than 50 streams, at 5% fewer characters per second; with --lines too: on names, 32 lines beat 128 and 256 in 5 minutes (docs/lines.md)
  lines: { flags: '--lines', default: false, help: 'each line is one example (names, titles): every line starts afresh and ends with a learned end token' }, // off: most corpora are running text
  startState: { flags: '--start-state <kind>', default: 'zero', help: `line mode: the state each line starts from: ${START_STATES.join(', ')}`, parse: choice(START_STATES) }, // zero: measured (docs/lines.md): the learned one did no better, as the first input (the end token) already gives every line a learned first state
  valFrac: { flags: '--val-frac <f>', default: 0.1, help: 'fraction of the corpus (its end) held out for validation, in [0, 1)', parse: real(0, 1, false, true) }, // 10%, as the reference
  newline: { flags: '--newline <mode>', default: 'keep' as NewlineMode, help: 'keep: newlines as they are; lf: CRLF and lone CR become LF', parse: choice(NEWLINE_MODES) }, // keep: the text is the user's; lf makes a Windows file and a Unix one the same corpus
  nfc: { flags: '--nfc', default: false, help: 'normalise the text to Unicode NFC (composed characters) before training' }, // off: costs a pass over the corpus, and most files are NFC already
  minCharCount: { flags: '--min-char-count <n>', default: 1, help: 'characters seen fewer than n times become one unknown symbol (U+FFFD) (1: keep all)', parse: int(1) }, // 1: every character of the corpus can be sampled; a CJK corpus may want 5-10
  valWindows: { flags: '--val-windows <n>', default: 32, help: 'validation during training reads this many windows per stream at seeded places, the same every time (0: the whole split)', parse: int(0) }, // 32: measured (docs/large-corpora.md): 5.3% of a 1,000-step run on 100 MB, sd 0.01 nats across subsets, well below the 0.07+ nats gained between evaluations; small splits are read whole anyway
  valFull: { flags: '--val-full', default: false, help: 'validate on the whole split during training (slow on a large corpus)' }, // off: a 10 MB split takes minutes per evaluation
  // ---- optimisation
  optimizer: { flags: '--optimizer <name>', default: 'adam', help: `optimizer: ${OPTIMIZER_NAMES.join(', ')}`, parse: choice(OPTIMIZER_NAMES) }, // Adam: robust without tuning
  weightDecay: { flags: '--weight-decay <λ>', default: 0, show: `${ADAMW_DEFAULT_DECAY} with adamw, else 0`, help: 'adamw: decoupled weight decay: each step the weight matrices (not biases or a learned start state) shrink by lr·λ of themselves; other optimizers take none', parse: real(0, Infinity) }, // PyTorch's AdamW default 0.01 with adamw; 0 otherwise (adam with a decay is refused rather than made an L2 penalty, which decays weights with large gradients less: Loshchilov & Hutter)
  lr: { flags: '--lr <rate>', default: 2e-3, help: 'learning rate', parse: real(0, Infinity, true) }, // 2e-3: the classic char-rnn Adam rate
  lrSchedule: { flags: '--lr-schedule <kind>', default: 'auto', help: `learning-rate schedule: auto (cosine over a --time budget of ${AUTO_COSINE_MIN_MINUTES} minutes or more, else constant), ${SCHEDULE_KINDS.join(', ')} (cosine decays to --lr-min over the budget: --steps, else --time or --epochs)`, parse: choice(['auto', ...SCHEDULE_KINDS]) }, // auto: measured (docs/defaults-measured.md, 2026-12-02, 2-core AMD EPYC, native): over 12 and 30 minutes the cosine wins (1.497 nats in 12 minutes, what the constant rate took 30 for; --time 30m ends at 1.4561-1.4610 over three seeds), over 5 minutes the constant rate does (1.573 against 1.603 on one thread: a short run is still far from done, and decaying costs it)
  warmup: { flags: '--warmup <steps>', default: 0, help: 'linear learning-rate warm-up steps', parse: int(0) }, // 0: Adam with clipping starts fine
  lrEvery: { flags: '--lr-every <steps>', default: 1000, help: 'step schedule: decay every this many steps', parse: int(1) },
  lrFactor: { flags: '--lr-factor <f>', default: 0.5, help: 'step schedule: decay factor in (0, 1]', parse: real(0, 1, true) },
  lrMin: { flags: '--lr-min <rate>', default: 0, help: 'cosine schedule: final learning rate', parse: real(0, Infinity) },
  clip: { flags: '--clip <norm>', default: 5, help: 'clip the global gradient norm to this (0: off)', parse: real(0, Infinity) }, // 5: the char-rnn value; stops rare spikes, never bites otherwise
  onDiverge: { flags: '--on-diverge <action>', default: 'rollback', help: 'when the loss explodes or turns NaN: rollback (to the last saved state, with the learning rate cut) or stop', parse: choice(['rollback', 'stop'] as const) }, // rollback: a long run should not die of one spike (char-rnn #169)
  divergeFactor: { flags: '--diverge-factor <f>', default: 0.5, help: 'rollback: multiply the learning rate by this, in (0, 1)', parse: real(0, 1, true, true) }, // halving: the usual remedy, repeated if needed
  divergeRetries: { flags: '--diverge-retries <n>', default: 3, help: 'rollback: at most this many rollbacks per run, then stop', parse: int(0) }, // 3: lr / 8 at most; a run that still diverges needs a person
  // ---- budget (the first one reached ends the run)
  steps: { flags: '--steps <n>', default: 0, help: 'stop after this many steps (0: no step limit, as if not given)', parse: int(0) },
  epochs: { flags: '--epochs <n>', default: 0, help: 'stop after this many passes over the corpus (0: no epoch limit, as if not given)', parse: int(0) },
  time: { flags: '--time <duration>', default: 300, show: '5m unless --steps or --epochs is over 0', help: 'stop after this much wall-clock time, e.g. 90s, 10m, 1h30m (0: no time limit; with no --steps or --epochs, until Ctrl-C)', parse: parseDuration }, // 5 minutes: a useful model without waiting long
  // ---- during the run
  evalEvery: { flags: '--eval-every <steps>', default: 200, help: 'measure the validation loss every this many steps (0: only at the end)', parse: int(0) }, // ~1 s of evaluation per ~10 s of training on Shakespeare
  saveEvery: { flags: '--save-every <steps>', default: 200, help: 'write latest.json every this many steps (0: only at the end)', parse: int(0) }, // at most ~10 s of work lost to a crash
  keep: { flags: '--keep <n>', default: 0, help: 'also keep the last n checkpoints as numbered snapshots (step-00000200.json) beside latest.json (0: none)', parse: int(0) }, // off: latest and best are what most runs need; snapshots cost a checkpoint's size each
  sampleEvery: { flags: '--sample-every <steps>', default: 0, help: 'print a short preview sample on stderr every this many steps (0: never)', parse: int(0) }, // off: keeps the log compact
  sampleLength: { flags: '--sample-length <n>', default: 200, help: 'characters per preview sample', parse: int(1) },
  historyEvery: { flags: '--history-every <steps>', default: 50, help: 'loss curve resolution: one point per this many steps', parse: int(1) }, // 50: a few dozen points for a minutes-long run
  // ---- output and resuming
  out: { flags: '--out <dir>', default: '', show: './checkpoints/<run name>/', help: 'folder for latest.json and best.json', parse: nonEmpty },
  name: { flags: '--name <run>', default: '', show: '<corpus>-<cell><layers>x<hidden>-<time>', help: 'run name (the default folder under ./checkpoints/)', parse: nonEmpty },
  log: { flags: '--log <file>', default: '', show: '<run folder>/metrics.jsonl', help: 'append the metrics log (JSON lines: one per step, validation, rollbacks, saves) to this file instead (not -: standard output is for data)', parse: (raw: string) => (raw === '-' ? fail('cannot be - (standard output is for data): give a file, or leave it out for <run folder>/metrics.jsonl') : nonEmpty(raw)) }, // in the run folder: one file per run, found by charnn runs and plot, kept across --resume
  resume: { flags: '--resume <checkpoint>', default: '', help: 'continue training from this checkpoint, exactly where it stopped', parse: nonEmpty },
  initFrom: { flags: '--init-from <checkpoint>', default: '', help: "fine-tune: start from this model's weights on a new corpus, with a fresh optimizer and run folder (unlike --resume)", parse: nonEmpty },
  vocab: { flags: '--vocab <mode>', default: 'strict', help: 'with --init-from, characters the model never saw: strict (refuse, naming them) or extend (add them)', parse: choice(['strict', 'extend'] as const) }, // strict: a silently different character mapping is how fine-tuning gives garbage
  force: { flags: '--force', default: false, help: 'resume even on a different corpus' }, // refusing protects against silently mixing corpora
  overwrite: { flags: '--overwrite', default: false, help: 'replace the run already in the output folder (else refused)' }, // refusing protects finished runs from a typo or a rerun script
  // ---- execution
  seed: { flags: '--seed <n>', default: 1, help: 'random seed (weights, dropout, previews); same seed, same run', parse: int(0, 0xffffffff) }, // fixed: runs are reproducible unless asked otherwise
  backend: { flags: '--backend <name>', default: DEFAULT_BACKEND, show: BACKEND_SHOWN, help: `compute backend: ${BACKEND_NAMES.join(', ')}`, parse: choice(BACKEND_NAMES as readonly string[]) }, // the fastest available
  threads: THREADS_OPTION,
  simd: SIMD_OPTION,
} satisfies Record<string, OptSpec>;

export const SAMPLE = {
  temp: { flags: '--temp <t>', default: 0.8, help: 'temperature: lower is safer, higher is wilder; 0 always takes the most likely character', parse: real(0, Infinity) }, // 0.8: fluent with some variety
  topK: { flags: '--top-k <k>', default: 0, help: 'draw only among the k most likely characters (0: off)', parse: int(0) },
  topP: { flags: '--top-p <p>', default: 1, help: 'draw only among the most likely characters totalling p, in (0, 1] (1: off)', parse: real(0, 1, true) },
  prime: { flags: '--prime <text>', default: '', help: 'text to start from (printed first)', parse: text },
  primeFile: { flags: '--prime-file <path>', default: '', help: 'read the prime text from a file (- for standard input)', parse: nonEmpty },
  skipUnknown: { flags: '--skip-unknown', default: false, help: 'drop prime characters the model never saw instead of failing' }, // failing is the safe default: a silent drop changes the prime
  length: { flags: '-n, --length <n>', default: 1000, help: 'characters to print, prime included (0: without end)', parse: int(0) },
  forever: { flags: '--forever', default: false, help: 'print without end (for pipes such as | head -c 1000)' },
  stopAt: { flags: '--stop-at <text>', default: [] as string[], show: 'none', help: 'stream models: end the sample at the first occurrence of this text (printed), e.g. a blank line (repeatable: the first of any)', parse: (raw: string, prev?: string[]) => [...(prev ?? []), notEmptyString(raw)] }, // repeatable, as OpenAI's stop list
  // ---- line-mode models (train --lines)
  count: { flags: '--count <n>', default: 20, help: 'line-mode models: how many lines (independent samples, drawn as one batch)', parse: int(1, 100000) }, // 20: a screenful of names
  novel: { flags: '--novel', default: false, help: 'line-mode models: only lines not in the training list (stderr: the novel fraction)' },
  unique: { flags: '--unique', default: false, help: 'line-mode models: no line twice' },
  json: { flags: '--json', default: false, help: 'line-mode models: one JSON object per line: text, logProb (nats), ended' },
  corpus: { flags: '--corpus <path>', default: '', show: "the checkpoint's", help: 'the training list --novel compares with', parse: nonEmpty },
  beam: { flags: '--beam <k>', default: 0, help: 'beam search with k beams: the most likely text, deterministic, prime included in the score (0: off; sampling)', parse: int(0, 256) }, // off: beam search finds the likeliest, hence blandest and most repetitive, text
  ban: { flags: '--ban <string>', default: [] as string[], show: 'none', help: 'never emit this string (repeatable)', parse: (raw: string, prev?: string[]) => [...(prev ?? []), nonEmpty(raw)] },
  seed: { flags: '--seed <n>', default: -1, show: 'random', help: 'random seed, or random (printed on stderr); same seed and checkpoint give the same text', parse: seedOrRandom }, // random: two runs give two texts; the seed drawn is printed, so any sample can be repeated
  backend: { flags: '--backend <name>', default: DEFAULT_BACKEND, show: BACKEND_SHOWN, help: `compute backend: ${BACKEND_NAMES.join(', ')}`, parse: choice(BACKEND_NAMES as readonly string[]) },
  threads: THREADS_OPTION,
  simd: SIMD_OPTION,
} satisfies Record<string, OptSpec>;

export const SERVE = {
  port: { flags: '--port <n>', default: 8080, help: 'TCP port to listen on (0: any free one; the URL printed says which)', parse: int(0, 65535) }, // 8080: the usual unprivileged web port (llama.cpp's server too)
  host: { flags: '--host <address>', default: '127.0.0.1', help: 'address to listen on; any other than loopback lets every machine that reaches it use the API, without a password', parse: nonEmpty }, // loopback: nothing leaves the machine unless asked
  maxStreams: { flags: '--max-streams <n>', default: 32, help: 'streams generating at once (all models); more get 429', parse: int(1, 4096) }, // 32: batched, 32 streams get about the total throughput of 8 on 2 cores (bench:serve), so more only slows each one
  maxLength: { flags: '--max-length <n>', default: 10000, help: 'most characters a request may ask for, prime included', parse: int(1, 10_000_000) }, // 10,000: ten times sample's default length, a few seconds of one stream
  grace: { flags: '--grace <duration>', default: 3, show: '3s', help: 'on Ctrl-C or SIGTERM, how long open streams may go on before they are cut', parse: parseDuration }, // 3 s: most streams of the default length end within it
  apiKey: { flags: '--api-key <key>', default: '', show: '$CHARNN_API_KEY, else none', help: 'every request but GET /health and the page\'s files needs Authorization: Bearer KEY (401 otherwise)', parse: nonEmpty }, // none on loopback: only this machine reaches it; beyond it --host needs a key or --insecure-no-key
  apiKeyFile: { flags: '--api-key-file <file>', default: '', help: 'read the API key from this file (its first line), out of the process list and shell history', parse: nonEmpty },
  insecureNoKey: { flags: '--insecure-no-key', default: false, help: 'let --host beyond loopback serve without an API key (anyone who reaches the port can use it)' }, // refused by default: servers left open on 0.0.0.0 are how local models get abused
  corsOrigin: { flags: '--cors-origin <origin>', default: [] as string[], show: 'none', help: 'also serve browser requests from this origin, e.g. https://app.example:3000 (repeatable; exact match; others get 403)', parse: (raw: string, prev?: string[]) => [...(prev ?? []), origin(raw)] }, // none: a page elsewhere must not make this machine generate
  metrics: { flags: '--metrics', default: false, help: 'serve GET /metrics in Prometheus text format (requests, streams, characters, refusals)' }, // off: counters are for operators who ask
  writeTimeout: { flags: '--write-timeout <duration>', default: 30, show: '30s', help: 'cut a stream whose client has stopped reading for this long, freeing its slot (0: never)', parse: parseDuration }, // 30 s: far above a slow network's pauses, far below holding a slot forever
  maxConnections: { flags: '--max-connections <n>', default: 256, help: 'connections open at once; more are dropped', parse: int(1, 65535) }, // 256: eight times the default streams, for page loads, health checks and keep-alive
  requestTimeout: { flags: '--request-timeout <duration>', default: 10, show: '10s', help: "time a client has to send a request's headers and body", parse: parseDuration }, // 10 s: a body is at most a few hundred KB; slowloris clients are cut
  backend: { flags: '--backend <name>', default: DEFAULT_BACKEND, show: BACKEND_SHOWN, help: `compute backend: ${BACKEND_NAMES.join(', ')}`, parse: choice(BACKEND_NAMES as readonly string[]) },
  threads: THREADS_OPTION,
  simd: SIMD_OPTION,
} satisfies Record<string, OptSpec>;

export const EVAL = {
  corpus: { flags: '--corpus <file>', default: '', help: "read the checkpoint's corpus from this file (- for stdin), checked by SHA-256, and score its validation split", parse: nonEmpty }, // for a corpus moved, renamed, or read from stdin in training
  json: { flags: '--json', default: false, help: 'print the result as one JSON object' },
  batch: { flags: '--batch <n>', default: 0, show: "1; the validation split: the checkpoint's", help: 'streams read in parallel, for speed (each starts from the zero state; every character is still counted)', parse: int(1) }, // a text: one stream, so the figure depends on no layout; the split: training's layout, so it equals the validation loss training reported
  seq: { flags: '--seq <n>', default: 0, show: "the checkpoint's", help: 'characters per window, for speed only (the state is carried across windows)', parse: int(1) },
  windows: { flags: '--windows <n>', default: 0, help: "random windows of n characters instead of one stream: each read from the zero state, every position counted (--windows 256 is nanoGPT's estimate_loss protocol; 0: off)", parse: int(0, 1_000_000) }, // off: the stream figure (every character with its full history) is what training reports
  count: { flags: '--count <n>', default: 12800, help: 'with --windows: how many windows', parse: int(1, 100_000_000) }, // 12,800: nanoGPT's eval_iters 200 x batch_size 64
  seed: { flags: '--seed <n>', default: 1337, help: 'with --windows: the seed of their places', parse: int(0, 0xffffffff) }, // nanoGPT's seed
  backend: { flags: '--backend <name>', default: DEFAULT_BACKEND, show: BACKEND_SHOWN, help: `compute backend: ${BACKEND_NAMES.join(', ')}`, parse: choice(BACKEND_NAMES as readonly string[]) },
  threads: THREADS_OPTION,
  simd: SIMD_OPTION,
} satisfies Record<string, OptSpec>;

/** `charnn score`: what is scored and how it is printed. */
export const SCORE = {
  by: { flags: '--by <unit>', default: '', show: 'line for line-mode models, else text', help: 'score each line (line) or the whole text (text)', parse: choice(['line', 'text'] as const) }, // a line-mode model is a model of lines; any other of a stream
  perChar: { flags: '--per-char', default: false, help: "add each character's surprisal (nats)" }, // off: one short record per line
  sort: { flags: '--sort', default: false, help: 'print the records from most to least likely (lowest nats per character first)' }, // off: input order, streamed as scored
  backend: { flags: '--backend <name>', default: DEFAULT_BACKEND, show: BACKEND_SHOWN, help: `compute backend: ${BACKEND_NAMES.join(', ')}`, parse: choice(BACKEND_NAMES as readonly string[]) },
  threads: THREADS_OPTION,
  simd: SIMD_OPTION,
} satisfies Record<string, OptSpec>;

/** `charnn inspect`: which unit to show, or which units to find, and where the picture goes. */
export const INSPECT = {
  layer: { flags: '--layer <l>', default: 0, help: 'layer of the unit to show (0: the bottom layer)', parse: int(0) }, // 0, as PyTorch numbers layers (weight_ih_l0)
  unit: { flags: '--unit <n>', default: 0, help: 'hidden unit to show (0 to hidden-1)', parse: int(0) },
  topK: { flags: '--top-k <k>', default: 0, aliases: ['--top'], help: 'list the k units whose activation correlates most with --pattern (0: off)', parse: int(0) },
  pattern: { flags: '--pattern <regex>', default: '', help: 'with --top-k: the characters a unit should follow, as a JavaScript regex (e.g. \'"[^"]*"\' inside quotes)', parse: nonEmpty },
  perChar: { flags: '--per-char', default: false, aliases: ['--probs'], help: "the model's top 5 guesses and their probabilities at each character (JSON lines; in the HTML's tooltips)" },
  html: { flags: '--html <file>', default: '', help: 'write a self-contained HTML page of the coloured text (prints its path)', parse: nonEmpty },
  ansi: { flags: '--ansi', default: false, help: 'ANSI colours even when stdout is not a terminal (else JSON lines of activations there)' }, // a pipe gets data, not escape codes, unless asked
  backend: { flags: '--backend <name>', default: DEFAULT_BACKEND, show: BACKEND_SHOWN, help: `compute backend: ${BACKEND_NAMES.join(', ')}`, parse: choice(BACKEND_NAMES as readonly string[]) },
  threads: THREADS_OPTION,
  simd: SIMD_OPTION,
} satisfies Record<string, OptSpec>;

export const INFO = {
  json: { flags: '--json', default: false, help: 'print the checkpoint as one JSON object (header fields and sizes, no tensor data)' },
  width: { flags: '--width <cols>', default: 0, show: 'the terminal width, else 72', help: 'width of the loss curve', parse: int(20, 400) },
} satisfies Record<string, OptSpec>;

/** `charnn runs [folder]`: the runs in a folder as a table. */
export const RUNS = {
  sort: { flags: '--sort <key>', default: 'name', help: 'order: name, val (lowest best validation loss first), steps, time (most first) or saved (newest first)', parse: choice(['name', 'val', 'steps', 'time', 'saved'] as const) }, // name: a sweep named by its values reads in order; val answers "which is best"
  json: { flags: '--json', default: false, help: 'print the runs as one JSON array (the differing options under options)' },
} satisfies Record<string, OptSpec>;

/** `charnn plot RUN...`: runs' loss curves overlaid. */
export const PLOT = {
  x: { flags: '--x <axis>', default: 'step', help: 'horizontal axis: step, time (seconds trained) or chars (characters trained)', parse: choice(['step', 'time', 'chars'] as const) }, // step: what every run has, and what --eval-every counts in
  output: { flags: '-o, --output <file>', default: '', help: 'also write the chart as a self-contained SVG file', parse: nonEmpty },
  width: { flags: '--width <cols>', default: 0, show: 'the terminal width, else 72', help: 'width of the terminal chart', parse: int(20, 400) },
  height: { flags: '--height <rows>', default: 12, help: 'height of each terminal chart', parse: int(4, 100) }, // 12: both charts and the legend fit a 40-row terminal
  csv: { flags: '--csv', default: false, help: 'print the metrics logs as CSV (one row per step: run, step, epoch, time, chars, cps, loss, lr, gradNorm, val, rollbacks, saves) instead of a chart' },
} satisfies Record<string, OptSpec>;

/** `charnn corpus list`: no options of its own. */
export const CORPUS_LIST = {} satisfies Record<string, OptSpec>;

/** `charnn corpus get NAME`. */
export const CORPUS_GET = {
  mirror: { flags: '--mirror <folder|url>', default: '', show: '$CHARNN_CORPUS_MIRROR', help: 'fetch from this folder or base URL first', parse: nonEmpty },
} satisfies Record<string, OptSpec>;

/** `charnn export`: the weights in the field's formats. */
export const EXPORT = {
  format: { flags: '--format <fmt>', default: '', show: 'from the -o extension, else safetensors', help: 'safetensors (weights by state_dict name, vocabulary in the metadata), onnx (one inference step), charnn (a sampling-only checkpoint) or charnn-f16 (the same, weights as float16: half the size)', parse: choice(['safetensors', 'onnx', 'charnn', 'charnn-f16'] as const) }, // safetensors: the usual weights file of the field, loads by name
  output: { flags: '-o, --output <file>', default: '', aliases: ['--out'], show: 'the checkpoint path with .safetensors, .onnx, .sampling.json or .f16.json', help: 'file to write', parse: nonEmpty }, // --output: a file (train's --out is a folder)
  overwrite: { flags: '--overwrite', default: false, aliases: ['--force'], help: 'replace an existing file' }, // refusing protects a file written earlier; train's word for it
} satisfies Record<string, OptSpec>;

/** `charnn import`: a safetensors file as a sampling checkpoint. */
export const IMPORT = {
  output: { flags: '-o, --output <file>', default: '', aliases: ['--out'], show: 'the file path with .json', help: 'checkpoint to write', parse: nonEmpty },
  vocabFrom: { flags: '--vocab-from <corpus>', default: '', help: 'take the vocabulary from this corpus (for files without charnn metadata)', parse: nonEmpty },
  overwrite: { flags: '--overwrite', default: false, aliases: ['--force'], help: 'replace an existing checkpoint' }, // never silently replace a checkpoint
} satisfies Record<string, OptSpec>;

export type Table = Record<string, OptSpec>;
/** The parsed values of a table: each key typed as its default. */
export type Values<T extends Table> = { [K in keyof T]: T[K]['default'] };

/** `charnn sample`'s defaults, which the library's loadModel().sample() shares (read from the table above). */
export const SAMPLE_DEFAULTS = {
  temp: SAMPLE.temp.default,
  topK: SAMPLE.topK.default,
  topP: SAMPLE.topP.default,
  length: SAMPLE.length.default,
} as const;

/** Every field of the trainer's configuration is a row of TRAIN, with the row's value type (the optimizer and the
 *  schedule narrowed to the names the trainer runs): this type fails to compile when a row is renamed. */
type TrainSlice = Pick<Values<typeof TRAIN>, keyof TrainConfig>;
const _sameNames: Record<keyof TrainConfig, unknown> = {} as TrainSlice;

/** The trainer's configuration from a run's option values: the same names, nothing renamed. */
export function trainConfigOf(values: TrainSlice): TrainConfig {
  const c = {} as Record<string, unknown>;
  for (const key of TRAIN_CONFIG_KEYS) c[key] = values[key];
  return c as unknown as TrainConfig;
}
