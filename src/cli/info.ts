/** `charnn info <checkpoint>`: what a checkpoint holds, on stdout, with its loss curve drawn in the terminal. */
import type { Command } from 'commander';
import { loadCheckpoint } from '../checkpoint/io.js';
import { expectedTensorShapes } from '../checkpoint/validate.js';
import { addOptions, COMMON, INFO, readOptions } from './options.js';
import { plotCurve } from './plot.js';
import { duration, human, Ui } from './ui.js';

export function registerInfo(program: Command): void {
  const cmd = program
    .command('info')
    .description('show a checkpoint: config, size, vocabulary, training progress and loss curve')
    .argument('<checkpoint>', 'a checkpoint .json');
  addOptions(cmd, INFO);
  addOptions(cmd, COMMON);
  cmd.action((path: string, _o: unknown, self: Command) => {
    const common = readOptions(self, COMMON).values;
    // the report goes to stdout, so stdout decides the colour
    const ui = new Ui({ color: common.color, quiet: common.quiet, verbose: common.verbose, colorFor: 'stdout' });
    const { values } = readOptions(self, INFO);
    const width = values.width || (process.stdout.isTTY ? Math.min(process.stdout.columns || 80, 120) : 72);
    process.stdout.write(describeCheckpoint(path, width, ui).join('\n') + '\n');
  });
}

const n = (x: number) => x.toLocaleString('en-US');

/** Epochs done as a decimal when the layout is known (windows per epoch as data/batches.ts computes them). */
function epochs(c: ReturnType<typeof loadCheckpoint>): string {
  const { batch, seq, valFrac } = c.config as { batch?: number; seq?: number; valFrac?: number };
  const p = c.progress;
  if (!c.corpus || !batch || !seq || valFrac === undefined) return `${p.epoch} (window ${p.position})`;
  const windows = Math.floor((Math.floor(c.corpus.chars * (1 - valFrac)) - 1) / (batch * seq));
  return windows > 0 ? (p.epoch + p.position / windows).toFixed(2) : String(p.epoch);
}
const nats = (x: number) => `${x.toFixed(4)} nats (${(x / Math.LN2).toFixed(3)} bpc)`;

export function describeCheckpoint(path: string, width: number, ui: Ui): string[] {
  const c = loadCheckpoint(path);
  const m = c.model;
  const params = expectedTensorShapes(m).reduce((s, t) => s + t.shape.reduce((a, b) => a * b, 1), 0);
  const p = c.progress;
  const cfg = c.config as Record<string, unknown>;
  const key = (k: string) => ui.c.bold(k.padEnd(11));
  const out: string[] = [];
  out.push(`${key('checkpoint')}${path} (charnn ${c.charnnVersion}, written ${c.created})`);
  out.push(`${key('model')}${m.cell}, ${m.layers} layer${m.layers > 1 ? 's' : ''} x ${m.hidden} hidden, dropout ${m.dropout}, ${n(params)} parameters`);
  const shown = c.vocab.map((ch) => JSON.stringify(ch).slice(1, -1)).join('');
  out.push(`${key('vocabulary')}${c.vocab.length} characters: ${shown.length > 120 ? shown.slice(0, 117) + '...' : shown}`);
  if (c.corpus) {
    out.push(`${key('corpus')}${c.corpus.source}: ${n(c.corpus.chars)} characters, ${n(c.corpus.bytes)} bytes, sha256 ${c.corpus.sha256.slice(0, 16)}…`);
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
      cfg.optimizer !== undefined && `${cfg.optimizer} lr ${cfg.lr}${cfg.lrSchedule && cfg.lrSchedule !== 'constant' ? ` (${cfg.lrSchedule})` : ''}`,
      cfg.batch !== undefined && `batch ${cfg.batch} x seq ${cfg.seq}`,
      cfg.clip !== undefined && `clip ${cfg.clip}`,
      cfg.valFrac !== undefined && `validation ${Math.round(Number(cfg.valFrac) * 100)}%`,
      cfg.seed !== undefined && `seed ${cfg.seed}`,
      cfg.backend !== undefined && `${cfg.backend} backend`,
    ].filter(Boolean);
    out.push(`${key('settings')}${bits.join(', ')}`);
  }
  const last = p.lossHistory[p.lossHistory.length - 1];
  let lastVal: { step: number; val: number } | null = null;
  for (const pt of p.lossHistory) if (pt.val !== undefined) lastVal = { step: pt.step, val: pt.val };
  const parts: string[] = [];
  if (last) parts.push(`train ${nats(last.train)} at step ${n(last.step)}`);
  if (lastVal) parts.push(`val ${nats(lastVal.val)} at step ${n(lastVal.step)}`);
  out.push(`${key('loss')}${parts.length ? parts.join('; ') : 'not recorded yet'}`);
  out.push(`${key('best val')}${p.bestValLoss !== null ? `${nats(p.bestValLoss)} at step ${n(p.bestValStep ?? 0)}` : 'none yet'}`);
  out.push(`${key('resumable')}${c.optimizer && c.state ? `yes (${c.optimizer.name} state, carried state of ${c.state.shape[2]} streams)` : 'no (weights only)'}`);
  if (p.lossHistory.length) {
    out.push('');
    out.push(`loss curve (nats/char): ${ui.c.cyan('·')} train, ${ui.c.magenta('o')} validation`);
    const lines = plotCurve(
      [
        { points: p.lossHistory.map((q) => ({ x: q.step, y: q.train })), mark: '·', join: true },
        { points: p.lossHistory.filter((q) => q.val !== undefined).map((q) => ({ x: q.step, y: q.val! })), mark: 'o' },
      ],
      width,
    );
    const axis = lines.length - 2; // the last two lines are the x axis
    out.push(...lines.map((l, i) => (i < axis ? l.replace(/·/g, ui.c.cyan('·')).replace(/o/g, ui.c.magenta('o')) : l)));
  }
  return out;
}
