/**
 * `info`: what a checkpoint holds, with its loss curve drawn as text, as its phases: plan (the checkpoint, a run
 * folder's too), run (the summary: every header field, the sizes, the plan and the latest losses; no tensor data),
 * report (the summary as aligned lines and the curve, or as one JSON object, on io.out).
 */
import { isSamplingOnly, weightStorage } from '../checkpoint/sampling-only.js';
import type { Checkpoint } from '../checkpoint/schema.js';
import { expectedTensorShapes } from '../checkpoint/validate.js';
import { safeText } from '../errors.js';
import type { INFO, Values } from '../options.js';
import { chooseCheckpoint, type ChosenCheckpoint } from './common/checkpoint-arg.js';
import { duration, human, humanBytes } from './format.js';
import type { Emphasis, Io } from './io.js';
import { plotCurve } from './plot.js';

export type InfoValues = Values<typeof INFO>;

interface InfoPlan {
  o: InfoValues;
  chosen: ChosenCheckpoint;
}

function planInfo(values: InfoValues, checkpointArg: string, io: Io): InfoPlan {
  return { o: { ...values }, chosen: chooseCheckpoint(checkpointArg, io, 'cannot show the checkpoint') };
}

/** The summary `--json` prints. */
function runInfo(plan: InfoPlan): Record<string, unknown> {
  return checkpointSummary(plan.chosen.path, plan.chosen.checkpoint);
}

/** The summary as one JSON object, or as lines with the loss curve `--width` wide (else `columns`, the terminal's
 *  width when the report goes to one, up to 120; else 72). */
async function reportInfo(plan: InfoPlan, summary: Record<string, unknown>, io: Io, columns?: number): Promise<void> {
  if (plan.o.json) {
    // JSON escapes C0 controls itself; the rest a terminal may act on (C1 such as U+009B, DEL, bidi overrides) too
    await io.out.write(JSON.stringify(summary).replace(/[\u007f-\u009f\u2028-\u202e\u2066-\u2069]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`) + '\n');
    return;
  }
  const width = plan.o.width || (columns ? Math.min(columns, 120) : 72);
  await io.out.write(describeCheckpoint(plan.chosen.path, plan.chosen.checkpoint, width, io.c).join('\n') + '\n');
}

/** The whole command: plan, run, report. */
export async function info(values: InfoValues, checkpointArg: string, io: Io, columns?: number): Promise<Record<string, unknown>> {
  const plan = planInfo(values, checkpointArg, io);
  const summary = runInfo(plan);
  await reportInfo(plan, summary, io, columns);
  return summary;
}

const n = (x: number) => x.toLocaleString('en-US');

/** Epochs done as a decimal when the layout is known (windows per epoch as data/batches.ts computes them). */
function epochs(c: Ckpt): string {
  const { batch, seq, valFrac } = c.config as { batch?: number; seq?: number; valFrac?: number };
  const p = c.progress;
  if (!c.corpus || !batch || !seq || valFrac === undefined || c.model.mode === 'lines') return `${p.epoch} (window ${p.position})`;
  const windows = Math.floor((Math.floor(c.corpus.chars * (1 - valFrac)) - 1) / (batch * seq));
  return windows > 0 ? (p.epoch + p.position / windows).toFixed(2) : String(p.epoch);
}
const nats = (x: number) => `${x.toFixed(4)} nats (${(x / Math.LN2).toFixed(3)} bpc)`;

type Ckpt = Checkpoint;

/** The run's stop targets (totals over resumed runs, from the config) and what is left of each. */
function planOf(c: Ckpt): { untilStep: number; untilEpoch: number; untilMs: number; reached: boolean; left: { steps?: number; epochs?: number; ms?: number } } | null {
  const cfg = c.config as { untilStep?: unknown; untilEpoch?: unknown; untilMs?: unknown };
  const num = (v: unknown) => (typeof v === 'number' && v > 0 ? v : 0);
  if (cfg.untilStep === undefined && cfg.untilEpoch === undefined && cfg.untilMs === undefined) return null; // not recorded
  const t = { untilStep: num(cfg.untilStep), untilEpoch: num(cfg.untilEpoch), untilMs: num(cfg.untilMs) };
  const p = c.progress;
  const left: { steps?: number; epochs?: number; ms?: number } = {};
  if (t.untilStep) left.steps = Math.max(0, t.untilStep - p.step);
  if (t.untilEpoch) left.epochs = Math.max(0, t.untilEpoch - p.epoch);
  if (t.untilMs) left.ms = Math.max(0, t.untilMs - p.elapsedMs);
  const reached = left.steps === 0 || left.epochs === 0 || left.ms === 0;
  return { ...t, reached, left };
}

function describePlan(c: Ckpt): string {
  const plan = planOf(c);
  if (!plan) return 'not recorded';
  const goals = [
    plan.untilStep && `step ${n(plan.untilStep)}`,
    plan.untilEpoch && `epoch ${n(plan.untilEpoch)}`,
    plan.untilMs && `${duration(plan.untilMs / 1000)} of training`,
  ].filter(Boolean);
  if (!goals.length) return 'no budget (until Ctrl-C)';
  const l = plan.left;
  const left = [
    l.steps !== undefined && `${n(l.steps)} step${l.steps === 1 ? '' : 's'}`,
    l.epochs !== undefined && `${n(l.epochs)} epoch${l.epochs === 1 ? '' : 's'}`,
    l.ms !== undefined && duration(l.ms / 1000),
  ].filter(Boolean);
  // a sampling-only file has no optimizer moments or carried state to continue from: --resume refuses it
  const how = isSamplingOnly(c) ? 'sampling-only: train --init-from starts a new run from its weights' : 'train --resume continues it';
  return `until ${goals.join(' or ')}${goals.length > 1 ? ', whichever comes first' : ''}: ${plan.reached ? 'reached' : `${left.join(' or ')} left (${how})`}`;
}

/** The most recent training loss: the last loss-curve point, or the mean of the steps since it when newer (a run
 *  shorter than --history-every has only those). */
function lastTrainLoss(c: Ckpt): { loss: number; step: number; steps?: number } | null {
  const p = c.progress;
  const last = p.lossHistory[p.lossHistory.length - 1];
  if (p.pending.count > 0 && (!last || last.step < p.step)) return { loss: p.pending.sum / p.pending.count, step: p.step, steps: p.pending.count };
  return last ? { loss: last.train, step: last.step } : null;
}

/** The weights' stored size (4 bytes a float32 value, 2 a float16 one), before base64. */
const storedWeightBytes = (c: Ckpt) => c.tensors.reduce((s, t) => s + t.data.length * (t.storage === 'float16' ? 2 : 4), 0);

const paramsOf = (c: Ckpt) => expectedTensorShapes(c.model).reduce((s, t) => s + t.shape.reduce((a, b) => a * b, 1), 0);

/** `info --json`: every header field, the sizes, the plan and the latest losses; no tensor data. */
function checkpointSummary(path: string, c: Ckpt): Record<string, unknown> {
  const last = lastTrainLoss(c);
  let lastVal: { step: number; val: number } | null = null;
  for (const pt of c.progress.lossHistory) if (pt.val !== undefined) lastVal = { step: pt.step, val: pt.val };
  return {
    checkpoint: path,
    formatVersion: c.formatVersion,
    checksum: c.formatVersion >= 2 ? 'every field' : 'tensors only',
    charnn: c.charnnVersion,
    created: c.created,
    model: c.model,
    parameters: paramsOf(c),
    storage: weightStorage(c),
    weightBytes: storedWeightBytes(c),
    vocab: c.vocab,
    corpus: c.corpus,
    config: c.config,
    plan: planOf(c),
    progress: c.progress,
    lastTrain: last && { step: last.step, nats: last.loss, ...(last.steps ? { meanOfSteps: last.steps } : {}) },
    lastVal: lastVal && { step: lastVal.step, nats: lastVal.val },
    resumable: Boolean(c.optimizer && c.state),
    optimizer: c.optimizer && { name: c.optimizer.name, t: c.optimizer.t },
    streams: c.state ? c.state.shape[2] : null,
  };
}

/** A value from the file as a report line shows it: a plain (unquoted) form, cut and escaped (errors.ts). */
const safe = (v: unknown, max = 40): string => safeText(typeof v === 'string' ? v : (JSON.stringify(v) ?? String(v)), max);

/** The checkpoint as aligned lines, and its loss curve; `c` colours the keys and the curve's marks. */
function describeCheckpoint(path: string, c: Ckpt, width: number, em: Emphasis): string[] {
  const m = c.model;
  const params = paramsOf(c);
  const p = c.progress;
  const cfg = c.config as Record<string, unknown>;
  const key = (k: string) => em.bold(k.padEnd(11));
  const out: string[] = [];
  out.push(`${key('checkpoint')}${safe(path, 200)} (charnn ${safe(c.charnnVersion)}, written ${safe(c.created)})`);
  out.push(`${key('model')}${m.cell}, ${m.layers} layer${m.layers > 1 ? 's' : ''} x ${m.hidden} hidden${m.layerNorm ? ', layer norm' : ''}, ${m.embed ? `input embedding ${m.embed}, ` : ''}dropout ${m.dropout}${m.dropoutMode === 'variational' ? ' (variational)' : ''}${m.weightDrop ? `, weight drop ${m.weightDrop}` : ''}, ${n(params)} parameters`);
  const storage = weightStorage(c);
  const storageNote = { float32: 'float32 (as trained)', float16: 'float16 (each weight rounded to the nearest half)', mixed: 'mixed float32 and float16' };
  out.push(`${key('weights')}${storageNote[storage]}, ${humanBytes(storedWeightBytes(c))} of weights`);
  out.push(
    `${key('mode')}${m.mode === 'lines' ? `lines: one example per line, from a ${m.startState ?? 'zero'} start state to the end token (sample --count N draws N lines)` : 'stream: the corpus as one text'}`,
  );
  const shown = safeText(c.vocab.map((ch) => JSON.stringify(ch).slice(1, -1)).join(''), 10_000);
  out.push(`${key('vocabulary')}${c.vocab.length} characters: ${shown.length > 120 ? shown.slice(0, 117) + '...' : shown}`);
  if (c.corpus) {
    out.push(`${key('corpus')}${safe(c.corpus.source, 80)}: ${n(c.corpus.chars)} characters, ${n(c.corpus.bytes)} bytes, sha256 ${c.corpus.sha256.slice(0, 16)}…`);
    const files = c.corpus.files ?? [];
    const prep = c.corpus.preparation;
    const extra = [
      files.length > 1 && `${files.length} files, each a document`,
      prep?.newline === 'lf' && 'newlines to LF',
      prep?.nfc && 'NFC',
      prep && prep.minCharCount > 1 && `characters seen < ${prep.minCharCount} times as U+FFFD`,
    ].filter(Boolean);
    if (extra.length) out.push(`${key('')}${extra.join(', ')}`);
  }
  out.push(
    `${key('training')}step ${n(p.step)}, epoch ${epochs(c)}, ${human(p.chars)} characters, ${duration(p.elapsedMs / 1000)}` +
      (p.elapsedMs > 0 ? `, ${human(p.chars / (p.elapsedMs / 1000))} chars/s` : ''),
  );
  if (Object.keys(cfg).length) {
    const bits = [
      cfg.optimizer !== undefined && `${safe(cfg.optimizer)} lr ${safe(cfg.lr)}${Number(cfg.weightDecay) > 0 ? ` weight decay ${safe(cfg.weightDecay)}` : ''}${cfg.lrSchedule && cfg.lrSchedule !== 'constant' ? ` (${safe(cfg.lrSchedule)})` : ''}`,
      cfg.batch !== undefined && `batch ${safe(cfg.batch)} x seq ${safe(cfg.seq)}`,
      cfg.clip !== undefined && `clip ${safe(cfg.clip)}`,
      cfg.valFrac !== undefined && `validation ${Math.round(Number(cfg.valFrac) * 100)}%`,
      cfg.seed !== undefined && `seed ${safe(cfg.seed)}`,
      cfg.backend !== undefined && `${safe(cfg.backend)} backend`,
    ].filter(Boolean);
    out.push(`${key('settings')}${bits.join(', ')}`);
  }
  out.push(`${key('plan')}${describePlan(c)}`);
  const last = lastTrainLoss(c);
  let lastVal: { step: number; val: number } | null = null;
  for (const pt of p.lossHistory) if (pt.val !== undefined) lastVal = { step: pt.step, val: pt.val };
  const parts: string[] = [];
  if (last) parts.push(`train ${nats(last.loss)} at step ${n(last.step)}${last.steps ? ` (mean of its last ${n(last.steps)} step${last.steps > 1 ? 's' : ''})` : ''}`);
  if (lastVal) parts.push(`val ${nats(lastVal.val)} at step ${n(lastVal.step)}`);
  out.push(`${key('loss')}${parts.length ? parts.join('; ') : 'not recorded yet'}`);
  out.push(`${key('best val')}${p.bestValLoss !== null ? `${nats(p.bestValLoss)} at step ${n(p.bestValStep ?? 0)}` : 'none yet'}`);
  out.push(
    `${key('checksum')}${c.formatVersion >= 2 ? 'verified: covers every field (weights, vocabulary, config, progress)' : `verified over the tensors only (format ${c.formatVersion}, older charnn); vocabulary order checked`}`,
  );
  out.push(`${key('resumable')}${c.optimizer && c.state ? `yes (${c.optimizer.name} state, carried state of ${c.state.shape[2]} streams)` : 'no (weights only)'}`);
  if (p.lossHistory.length) {
    out.push('');
    out.push(`loss curve (nats/char): ${em.cyan('·')} train, ${em.magenta('o')} validation`);
    const lines = plotCurve(
      [
        { points: p.lossHistory.map((q) => ({ x: q.step, y: q.train })), mark: '·', join: true },
        { points: p.lossHistory.filter((q) => q.val !== undefined).map((q) => ({ x: q.step, y: q.val! })), mark: 'o' },
      ],
      width,
    );
    const axis = lines.length - 2; // the last two lines are the x axis
    out.push(...lines.map((l, i) => (i < axis ? l.replace(/·/g, em.cyan('·')).replace(/o/g, em.magenta('o')) : l)));
  }
  return out;
}
