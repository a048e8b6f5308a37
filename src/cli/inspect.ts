/**
 * `charnn inspect <checkpoint> <text|->`: look inside a model on a text (the picture that made char-rnn famous).
 *   default      the text coloured by one hidden unit's activation (--layer, --unit): ANSI on a terminal (or
 *                --ansi), else JSON lines {i, char, activation}
 *   --html FILE  the same as a self-contained HTML page (its path on stdout)
 *   --top K      the K units most correlated with --pattern (a regex marking characters), as JSON lines; with
 *                --html, the page shows the strongest of them
 *   --probs      the model's top 5 guesses for each character (JSON lines; with --html, in the tooltips)
 * Every character is traced from a zero state after a line break (the start the sampler uses), so each one has a
 * prediction.
 */
import { basename, resolve } from 'node:path';
import type { Command } from 'commander';
import { loadCheckpoint, writeFileAtomic } from '../checkpoint/io.js';
import { readCorpus } from '../data/corpus.js';
import { Vocab } from '../data/vocab.js';
import { createKernels } from '../math/backend.js';
import { correlatedUnits, trace, unitSeries, type Trace } from '../sample/trace.js';
import { attempt, attemptSync, CharnnError } from '../errors.js';
import { renderAnsi, renderHtml } from './inspect-render.js';
import { addOptions, COMMON, INSPECT, readOptions } from './options.js';
import { backendOptions } from '../commands/common/backend.js';
import { modelFromCheckpoint } from '../checkpoint/run-state.js';
import { encode } from './score.js';

export function registerInspect(program: Command): void {
  const cmd = program
    .command('inspect')
    .description("look inside a model: a text coloured by a hidden unit, the units that follow a pattern, the model's guesses")
    .argument('<checkpoint>', 'a checkpoint .json')
    .argument('[text]', 'a text file or - for standard input', '-');
  addOptions(cmd, INSPECT);
  addOptions(cmd, COMMON);
  cmd.action(async (path: string, textArg: string, _o: unknown, self: Command) => {
    const { values: o, given } = readOptions(self, INSPECT);
    if (o.top > 0 !== Boolean(o.pattern)) throw CharnnError.usage(o.top > 0 ? '--top needs --pattern' : '--pattern needs --top K', 'e.g. --top 5 --pattern \'"[^"]*"\'', 'invalid options');
    let pattern: RegExp | null = null;
    if (o.pattern) {
      try {
        pattern = new RegExp(o.pattern, 'gmu');
      } catch (e) {
        throw CharnnError.usage((e as Error).message, 'a JavaScript regular expression, e.g. \'"[^"]*"\'', 'invalid --pattern');
      }
    }
    const ckpt = loadCheckpoint(path);
    const { layers: L, hidden: H } = ckpt.model;
    if (o.layer >= L) throw CharnnError.usage(`--layer ${o.layer}: the model has ${L} layer${L > 1 ? 's' : ''} (0 to ${L - 1})`, undefined, 'invalid options');
    if (o.unit >= H) throw CharnnError.usage(`--unit ${o.unit}: the model has ${H} units per layer (0 to ${H - 1})`, undefined, 'invalid options');
    const vocab = Vocab.fromChars(ckpt.vocab);
    const bytes = await attempt('cannot read the text', () => readCorpus(textArg, process.stdin));
    const text = attemptSync('cannot read the text', () => new TextDecoder('utf-8', { fatal: true }).decode(bytes));
    const ids = encode(text, vocab, (i) => `character ${i + 1}`);
    const nl = vocab.idOf('\n');
    // the first character needs something to be predicted from: a line break, else it is only read
    const context = nl >= 0 ? [nl] : ids.slice(0, 1);
    const traced = nl >= 0 ? ids : ids.slice(1);
    if (!traced.length) throw new CharnnError('the text is too short', 'give at least one character (two without a line break in the vocabulary)', 'cannot inspect');
    const chars = traced.map((id) => vocab.chars[id]);

    const kernels = await attempt(`cannot start the ${o.backend} backend`, () => createKernels(o.backend, backendOptions(o, process.env)));
    let t: Trace;
    try {
      const model = attemptSync(`cannot load checkpoint ${path}`, () => modelFromCheckpoint(kernels, ckpt));
      t = trace(model, context, traced, 5);
    } finally {
      kernels.dispose();
    }

    const lines: string[] = [];
    let layer = o.layer, unit = o.unit;
    if (pattern) {
      const ind = indicator(chars, pattern);
      const top = correlatedUnits(t, ind, o.top);
      for (const u of top) lines.push(JSON.stringify({ layer: u.layer, unit: u.unit, r: round(u.r, 4) }));
      if (!given.has('layer') && !given.has('unit') && top.length) ({ layer, unit } = top[0]);
    }
    const act = unitSeries(t, layer, unit);
    const guesses = o.probs ? chars.map((_, i) => Array.from({ length: t.k }, (_, j): [string, number] => [vocab.chars[t.topIds[i * t.k + j]], t.topProbs[i * t.k + j]])) : undefined;
    if (o.probs && !o.html) {
      chars.forEach((c, i) => lines.push(JSON.stringify({ i, char: c, p: round(t.prob[i], 6), top: guesses![i].map(([g, p]) => [g, round(p, 6)]) })));
    }
    if (o.html) {
      const cfg = ckpt.model;
      const page = renderHtml({
        title: `charnn inspect: layer ${layer}, unit ${unit}`,
        subtitle: `${basename(path)}: ${cfg.cell} ${cfg.layers}x${cfg.hidden}; ${chars.length.toLocaleString('en-US')} characters of ${textArg === '-' ? 'standard input' : textArg}${pattern ? `; the unit most correlated with /${o.pattern}/` : ''}`,
        chars,
        act,
        guesses,
      });
      attemptSync(`cannot write ${o.html}`, () => writeFileAtomic(resolve(o.html), page));
      lines.push(o.html);
    } else if (!pattern && !o.probs) {
      if (process.stdout.isTTY || o.ansi) {
        process.stdout.write(renderAnsi(chars, act));
        return;
      }
      chars.forEach((c, i) => lines.push(JSON.stringify({ i, char: c, activation: round(act[i], 6) })));
    }
    if (lines.length) process.stdout.write(lines.join('\n') + '\n');
  });
}

/** 1 for every character inside a match of the pattern, else 0 (n). */
function indicator(chars: readonly string[], re: RegExp): Float64Array {
  const text = chars.join('');
  const ind = new Float64Array(chars.length);
  // match offsets are UTF-16; characters are code points
  const cpIndex = new Int32Array(text.length + 1);
  for (let i = 0, k = 0; i <= text.length; k++) {
    cpIndex[i] = k;
    if (i === text.length) break;
    const w = text.codePointAt(i)! > 0xffff ? 2 : 1;
    if (w === 2) cpIndex[i + 1] = k;
    i += w;
  }
  for (const m of text.matchAll(re)) {
    for (let k = cpIndex[m.index!]; k < cpIndex[m.index! + m[0].length]; k++) ind[k] = 1;
  }
  return ind;
}

const round = (x: number, d: number) => Math.round(x * 10 ** d) / 10 ** d;
