/**
 * Phase 2 of a training run: set up what the plan needs: the corpus (checked against a resumed checkpoint's),
 * its ids, the model and the compute backend (checked to fit the machine first), the trainer (with the resumed
 * state), and the output folder, created only now that every input is valid.
 */
import { existsSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { Checkpoint, CorpusInfo } from '../../checkpoint/schema.js';
import { prepareBytes, UNKNOWN_CHAR, type Preparation } from '../../data/prepare.js';
import { describeCodePoint, encodeUtf8, Vocab, type Ids } from '../../data/vocab.js';
import { chooseBackend, startBackend } from '../common/backend.js';
import { withInjectedFault } from './kernel-fault.js';
import type { Kernels } from '../../math/kernels.js';
import { Rng } from '../../math/rng.js';
import { CharRNN } from '../../model/char-rnn.js';
import { extendTensors } from '../../model/extend-vocab.js';
import type { CellType, DropoutMode, InitScheme, ModelConfig, StartStateKind } from '../../model/config.js';
import { encodeLines, joinLineParts, type LineCorpus } from '../../data/line-corpus.js';
import { Trainer } from '../../train/trainer.js';
import { trainConfigOf } from '../../options.js';
import type { TrainData } from '../../data/window-source.js';
import { attempt, attemptSync, CharnnError, safeText } from '../../errors.js';
import { corpusInfo, displayPath, readCorpusInput, type CorpusBytes } from '../common/corpus-input.js';
import { encodeCorpus } from '../common/prepared-corpus.js';
import { checkTrainingMemory, checkVocabSize } from './limits.js';
import { checkFolder, RunFolder, type FolderChoice } from './run-folder.js';
import { RunLock } from '../../checkpoint/run-lock.js';
import { modelFromCheckpoint, trainerStateOf } from '../../checkpoint/run-state.js';
import type { Plan } from './plan.js';
import type { Io } from '../io.js';

/** Resources the command must release however it ends. */
export interface Held {
  kernels?: Kernels;
  folder?: RunFolder;
}

/** Everything the loop works with. */
export interface Run {
  plan: Plan;
  vocab: Vocab;
  ids: Ids;
  corpus: CorpusInfo;
  modelConfig: ModelConfig;
  kernels: Kernels;
  model: CharRNN;
  trainer: Trainer;
  folder: RunFolder;
  /** resumed on another corpus (--force): the saved validation losses are of another text */
  otherCorpus: boolean;
  /** the effective configuration stored in the checkpoint: every option after defaults and resume, plus the stop targets */
  effective: Record<string, unknown>;
  /** the metrics log (metrics-log.ts): --log, else the resumed run's, else metrics.jsonl in the run folder */
  logPath: string;
}

export async function setUpRun(plan: Plan, corpusArg: string | readonly string[] | undefined, ui: Io, held: Held): Promise<Run> {
  const choice = chooseFolder(plan, ui);
  const data = await prepareCorpus(plan, corpusArg, ui);
  const { modelConfig, kernels, model } = await buildModel(plan, data.vocab, ui, held);
  const trainer = startTrainer(plan, model, data.lineCorpus ? data.lineCorpus.lines : data.ids, data.docStarts, data.otherCorpus ? data.info.source : null, ui);

  // ---- output folder: created and locked only now that every input is valid (bad input leaves no files behind)
  const { o } = plan;
  const folder = RunFolder.open({ ...choice, base: runName(data.stem, modelConfig) }, (m) => ui.warn(m));
  held.folder = folder;
  if (o.resume && resolve(ui.cwd, o.resume) !== folder.latestPath && existsSync(folder.latestPath)) {
    ui.warn(`resuming from ${displayPath(resolve(ui.cwd, o.resume), ui.cwd)}: ${displayPath(folder.latestPath, ui.cwd)} will be replaced by this run's progress`);
  }

  // the effective configuration: the budgets that apply (not the --time default a step budget switched off), the
  // folder and name really used
  const { resume: _r, force: _f, overwrite: _w, ...rest } = o;
  const earlierLog = plan.ckpt?.config.log;
  const logPath = o.log ? resolve(ui.cwd, o.log) : typeof earlierLog === 'string' && earlierLog ? earlierLog : join(folder.dir, 'metrics.jsonl');
  const effective = { ...rest, ...plan.budget, out: folder.dir, name: basename(folder.dir), ...plan.targets, log: o.log || earlierLog ? logPath : '' };
  const { vocab, ids, info, otherCorpus } = data;
  return { plan, vocab, ids, corpus: info, modelConfig, kernels, model, trainer, folder, otherCorpus, effective, logPath };
}

/** The folder, when the command line decides it: refused now, before any slow work, if it holds another run or
 *  another writer (and again under the lock, when it is taken). */
function chooseFolder({ o }: Plan, ui: Io): FolderChoice {
  const explicitDir = o.out ? resolve(ui.cwd, o.out) : o.name ? join(ui.cwd, 'checkpoints', o.name) : o.resume ? dirname(resolve(ui.cwd, o.resume)) : undefined;
  const choice: FolderChoice = { dir: explicitDir, parent: join(ui.cwd, 'checkpoints'), resume: o.resume || undefined, overwrite: o.overwrite };
  if (explicitDir) {
    RunLock.refuseIfHeld(explicitDir, displayPath(explicitDir, ui.cwd));
    checkFolder(explicitDir, choice);
  }
  return choice;
}

/** The corpus read, checked against a resumed checkpoint's, prepared and encoded (as a stream, or as lines). */
async function prepareCorpus(plan: Plan, corpusArg: string | readonly string[] | undefined, ui: Io) {
  const { o, ckpt } = plan;
  const t0 = Date.now();
  const corpus = await readCorpusInput(corpusArg, ui);
  const t1 = Date.now();
  if (ckpt?.corpus && !o.force) checkSameCorpus(ckpt.corpus, corpus);
  // --force on another corpus: the saved data position, carried state and best validation loss belong to the
  // other text, so the data restarts at its beginning and best-validation tracking starts afresh
  const otherCorpus = Boolean(ckpt?.corpus && ckpt.corpus.sha256 !== corpus.sha256);
  const prep: Preparation = { newline: o.newline, nfc: o.nfc, minCharCount: o.minCharCount };
  // fine-tuning: the model's vocabulary (extended with the corpus's new characters, or refusing them)
  const ckptVocab = ckpt
    ? Vocab.fromChars(ckpt.vocab)
    : plan.init
      ? fineTuneVocab(plan.init, Buffer.concat(corpus.parts.map((p) => prepareBytes(p, prep))), o.vocab, plan.o.initFrom, ui.cwd)
      : undefined;
  // line mode: the prepared files as one list (--min-char-count is refused with --lines: plan.ts)
  const lineCorpus = o.lines
    ? attemptSync('cannot use the list', () => encodeLines(joinLineParts(corpus.parts.map((p) => prepareBytes(p, prep))), o.seq, ckptVocab))
    : null;
  const { vocab, ids, docStarts, unknown } = lineCorpus
    ? { ...lineCorpus, docStarts: [] as number[], unknown: 0 }
    : encodeCorpus(corpus.parts, corpus.files, prep, ui.task('encoding the corpus'), ckptVocab);
  if (lineCorpus) announceLines(lineCorpus, o.seq, ui);
  const info = corpusInfo(corpus, ids.length, prep);
  corpus.parts = []; // the ids are all training needs: let a large corpus's bytes be collected
  ui.debug(`corpus: read in ${((t1 - t0) / 1000).toFixed(2)} s, prepared and encoded in ${((Date.now() - t1) / 1000).toFixed(2)} s`);
  if (unknown > 0) ui.info(`--min-char-count ${o.minCharCount}: ${unknown.toLocaleString('en-US')} characters (of rare kinds) read as the unknown symbol ${UNKNOWN_CHAR}`);
  return { vocab, ids, docStarts, lineCorpus, info, otherCorpus, stem: corpus.stem };
}

/** The model: a resumed one, a fine-tuned one's weights, or a new one; checked to fit the machine before its
 *  backend starts. */
async function buildModel(plan: Plan, vocab: Vocab, ui: Io, held: Held): Promise<{ modelConfig: ModelConfig; kernels: Kernels; model: CharRNN }> {
  const { o, ckpt } = plan;
  const modelConfig: ModelConfig = ckpt
    ? ckpt.model
    : plan.init
      ? withDropoutOptions({ ...plan.init.model, vocabSize: vocab.size, dropout: o.dropout }, o.dropoutMode, o.weightDrop)
      : {
          cell: o.cell as CellType, layers: o.layers, hidden: o.hidden, vocabSize: vocab.size, dropout: o.dropout,
          ...withDropoutOptions({}, o.dropoutMode, o.weightDrop),
          ...(o.embed > 0 ? { embed: o.embed } : {}), // absent when off: a one-hot model's config is as before
          ...(o.lines ? { mode: 'lines' as const, startState: o.startState as StartStateKind } : {}),
          ...(o.layerNorm ? { layerNorm: true } : {}),
        };
  if (!ckpt) checkVocabSize(vocab.size);
  o.backend = chooseBackend(o.backend, plan.given.has('backend'), ui);
  checkTrainingMemory(modelConfig, o.batch, o.seq, o.optimizer, o.backend);
  const kernels = withInjectedFault(await startBackend(o, true, ui), ui.env.CHARNN_FAULT_KERNEL);
  held.kernels = kernels;
  const model = attemptSync('cannot build the model', () => {
    if (ckpt) return modelFromCheckpoint(kernels, ckpt);
    const m = new CharRNN(kernels, modelConfig);
    m.init(new Rng(o.seed), o.init as InitScheme);
    if (plan.init) {
      // fine-tuning: the model's weights; rows of new characters keep the init scheme's draws
      const oldV = plan.init.model.vocabSize;
      m.importStateDict(oldV === vocab.size ? plan.init.tensors : extendTensors(plan.init.tensors, m.exportStateDict(), oldV, vocab.size));
    }
    return m;
  });
  return { modelConfig, kernels, model };
}

/** The trainer: the plan's options under their own names (trainConfigOf), and a resumed run's state. `otherCorpus`:
 *  the source of the corpus a --force resume trains on instead of the checkpoint's (its data position, carried
 *  state and best validation loss are then not taken). */
function startTrainer(plan: Plan, model: CharRNN, data: TrainData, docStarts: readonly number[], otherCorpus: string | null, ui: Io): Trainer {
  const { o, ckpt } = plan;
  const trainer = attemptSync('cannot set up training', () => {
    try {
      return new Trainer(model, data, trainConfigOf(o), docStarts);
    } catch (e) {
      // a resumed run cannot take the usual hint (change --batch or --seq): its layout is fixed
      const m = /^(the \w+ split is too small for batch \d+ and sequence length \d+: [^(]*)\(/.exec((e as Error).message);
      if (ckpt && m) throw new CharnnError(m[1].trim(), 'a resumed run keeps its --batch and --seq: use a larger corpus, or start a new run');
      throw e;
    }
  });
  if (!ckpt) return trainer;
  const state = trainerStateOf(model, ckpt);
  if (otherCorpus !== null) {
    state.window = 0;
    state.carry = new Float32Array(state.carry.length);
    state.bestValLoss = null;
    state.bestValStep = null;
  }
  attemptSync('cannot resume', () => trainer.importState(state));
  if (otherCorpus !== null) {
    ui.warn(
      `--force: training on ${otherCorpus} instead of the checkpoint's ${safeText(ckpt.corpus!.source)}: the data restarts at its beginning, from the zero state, ` +
        'and best.json will be the best validation loss on this corpus (the old best was measured on another text)',
    );
  }
  return trainer;
}

/** The dropout variants in a model config only when not the default, so a default run's config is as before. */
function withDropoutOptions<C extends Partial<ModelConfig>>(c: C, mode: DropoutMode, weightDrop: number): C {
  const { dropoutMode: _m, weightDrop: _w, ...rest } = c;
  return { ...rest, ...(mode !== 'element' ? { dropoutMode: mode } : {}), ...(weightDrop > 0 ? { weightDrop } : {}) } as C;
}

/** A resumed run must read the same files (by content, in the same order), unless --force. */
function checkSameCorpus(was: CorpusInfo, now: CorpusBytes): void {
  const fail = (why: string) => {
    throw new CharnnError(why, 'pass the same corpus, or add --force to continue training on this one', 'cannot resume');
  };
  const bytes = now.parts.reduce((s, p) => s + p.length, 0);
  if (was.files && (was.files.length > 1 || now.files.length > 1)) {
    const list = (fs: readonly { name: string }[]) => (fs.length > 3 ? `${fs.slice(0, 3).map((f) => f.name).join(', ')} and ${fs.length - 3} more` : fs.map((f) => f.name).join(', '));
    if (was.files.length !== now.files.length) {
      fail(`the checkpoint was trained on ${was.files.length} file${was.files.length === 1 ? '' : 's'} (${list(was.files)}), this corpus has ${now.files.length} (${list(now.files)})`);
    }
    was.files.forEach((f, i) => {
      const g = now.files[i];
      if (f.sha256 !== g.sha256 || f.bytes !== g.bytes) {
        fail(`file ${i + 1} of ${was.files!.length} differs from the one the checkpoint was trained on (${f.name}, ${f.bytes} bytes, sha256 ${f.sha256.slice(0, 12)}…; here ${g.name}, ${g.bytes} bytes, sha256 ${g.sha256.slice(0, 12)}…)`);
      }
    });
    return;
  }
  if (was.sha256 !== now.sha256) {
    fail(`the corpus differs from the one the checkpoint was trained on (${safeText(was.source)}, ${was.bytes} bytes, sha256 ${was.sha256.slice(0, 12)}…; this one has ${bytes} bytes, sha256 ${now.sha256.slice(0, 12)}…)`);
  }
}

/**
 * The vocabulary of a fine-tuning run: the model's, in its id order; with --vocab extend, the corpus's new
 * characters follow (sorted), so every old character keeps its id. strict refuses a corpus with new characters.
 */
function fineTuneVocab(init: Checkpoint, bytes: Uint8Array, mode: string, from: string, cwd: string): Vocab {
  const base = Vocab.fromChars(init.vocab);
  const own = attemptSync('cannot use the corpus', () => encodeUtf8(bytes).vocab);
  const unseen = own.chars.filter((c) => !base.has(c));
  if (!unseen.length) return base;
  if (mode !== 'extend') {
    const list = unseen.slice(0, 10).map((c) => describeCodePoint(c.codePointAt(0)!)).join(', ');
    throw new CharnnError(
      `the corpus has ${unseen.length} character${unseen.length > 1 ? 's' : ''} the model ${displayPath(resolve(cwd, from), cwd)} never saw: ${list}${unseen.length > 10 ? ', …' : ''}`,
      'add --vocab extend to give them new rows, or remove them from the corpus',
      'cannot fine-tune',
    );
  }
  return Vocab.fromChars([...base.chars, ...unseen]);
}

function runName(stem: string, c: ModelConfig): string {
  const d = new Date();
  const p = (n: number) => String(n).padStart(2, '0');
  const stamp = `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
  return `${stem}-${c.cell}${c.layers}x${c.hidden}-${stamp}`;
}

/** Line mode: how many lines, how many were empty (skipped), and how long lines are handled. */
function announceLines(c: LineCorpus, seq: number, ui: Io): void {
  const n = c.lines.starts.length;
  const parts = [`${n.toLocaleString('en-US')} lines, the longest ${c.maxLen} characters`];
  if (c.lines.empty) parts.push(`${c.lines.empty.toLocaleString('en-US')} empty line${c.lines.empty > 1 ? 's' : ''} skipped`);
  if (c.long) {
    parts.push(`${c.long.toLocaleString('en-US')} longer than --seq ${seq} − 1: trained in windows of ${seq}, the state carried within the line`);
  }
  ui.info(`line mode: ${parts.join('; ')}`);
}
