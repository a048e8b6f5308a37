/**
 * Issue 25, the commands other than train, sample and serve as functions, through the real binary:
 * - one text preparation: a model trained with --newline lf --nfc --min-char-count 3 scores, inspects and evaluates
 *   a CRLF text with decomposed accents and a rare character alike (score refused it before), and score's nats
 *   agree with eval's;
 * - a run folder is accepted wherever a checkpoint is (eval, score, inspect, info, export);
 * - a checkpoint's corpus is found the same way by every command from any folder: train --resume without a corpus
 *   resumes on it (it trained on tiny Shakespeare and then suggested --force), sample --novel finds the list;
 * - old option spellings still work and say what to use (export --out/--force, inspect --top/--probs);
 * - inspect's errors say "cannot inspect".
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCheckpoint } from '../src/checkpoint/io.js';
import { addOptions, EVAL, EXPORT, INFO, INSPECT, readOptions, SCORE, type Table, type Values } from '../src/cli/options.js';
import { evaluate } from '../src/commands/eval.js';
import { info } from '../src/commands/info.js';
import { quietIo } from '../src/commands/io.js';
import { score } from '../src/commands/score.js';
import { asTrained } from '../src/commands/common/text.js';
import { UNKNOWN_CHAR } from '../src/data/prepare.js';
import { Vocab } from '../src/data/vocab.js';
import { ROOT, runCli, tempDir } from './helpers/cli.js';

const PRETRAINED = join(ROOT, 'checkpoints', 'pretrained', 'tinyshakespeare.json');
const TINY = ['--cell', 'gru', '--layers', '1', '--hidden', '12', '--seq', '16', '--batch', '4', '--eval-every', '5', '--backend', 'js', '-q'];

// composed accents, plain text, and '§' twice (under --min-char-count 3: the unknown symbol)
const line = (i: number) => `Caf\u00e9 number ${i} serves cr\u00e8me br\u00fbl\u00e9e to the na\u00efve.\n`;
const CORPUS = Array.from({ length: 80 }, (_, i) => line(i)).join('') + 'the end \u00a7 and \u00a7\n';
// CRLF ends, decomposed accents (e + U+0301), and a character the corpus never had (but U+FFFD stands for it)
const AWKWARD = 'Cafe\u0301 number 7 serves cre\u0300me\r\nbru\u0302le\u0301e to the nai\u0308ve \u00b6.\r\n';
const NAMES = ['anna', 'bert', 'carla', 'dora', 'emil', 'fritz', 'greta', 'hanna', 'ida', 'jonas', 'karl', 'lena', 'mia', 'nora', 'otto', 'paul'];

let dir: string;
let cleanup: () => void;
const cli = (args: string[], cwd = dir, input?: string) => runCli(args, { cwd, input, timeoutMs: 60_000 });
const json = (s: string) => s.trim().split('\n').map((l) => JSON.parse(l));

beforeAll(async () => {
  ({ dir, cleanup } = tempDir({ 'corpus.txt': CORPUS, 'awkward.txt': AWKWARD, 'names.txt': NAMES.join('\n') + '\n' }));
  mkdirSync(join(dir, 'elsewhere'));
  const [a, b] = await Promise.all([
    cli(['train', 'corpus.txt', ...TINY, '--steps', '10', '--newline', 'lf', '--nfc', '--min-char-count', '3', '--out', 'prep']),
    cli(['train', 'names.txt', '--lines', ...TINY, '--steps', '10', '--out', 'names']),
  ]);
  expect(a.code, a.stderr).toBe(0);
  expect(b.code, b.stderr).toBe(0);
}, 120_000);
afterAll(() => cleanup());

describe('one text preparation', () => {
  it('asTrained: newlines, NFC, and the unknown symbol for characters the model lacks', () => {
    const ckpt = { corpus: undefined, config: { newline: 'lf', nfc: true, minCharCount: 3 } } as never;
    const vocab = Vocab.fromChars(['\n', 'a', '\u00e9', UNKNOWN_CHAR]);
    expect(asTrained('ae\u0301\r\nz', ckpt, vocab)).toBe(`a\u00e9\n${UNKNOWN_CHAR}`);
    expect(asTrained('a\r\n', { corpus: undefined, config: {} } as never, vocab)).toBe('a\r\n'); // nothing recorded: as given
  });

  it('score, inspect and eval read a CRLF text with decomposed accents and a rare character as training did', async () => {
    const c = loadCheckpoint(join(dir, 'prep', 'latest.json'));
    expect(c.vocab).toContain(UNKNOWN_CHAR);
    expect(c.vocab).not.toContain('\r');
    const [s, e, i] = await Promise.all([
      cli(['score', 'prep/latest.json', 'awkward.txt', '--by', 'text', '--backend', 'js']),
      cli(['eval', 'prep/latest.json', 'awkward.txt', '--json', '--backend', 'js']),
      cli(['inspect', 'prep/latest.json', 'awkward.txt', '--backend', 'js']),
    ]);
    expect(s.code, s.stderr).toBe(0);
    expect(e.code, e.stderr).toBe(0);
    expect(i.code, i.stderr).toBe(0);
    const prepared = AWKWARD.replace(/\r\n/g, '\n').normalize('NFC').replace('\u00b6', UNKNOWN_CHAR);
    const [rec] = json(s.stdout);
    expect(rec.text).toBe(prepared);
    const ev = JSON.parse(e.stdout);
    expect(rec.characters).toBe(ev.chars); // every character after the first, in both
    expect(rec.nats).toBeCloseTo(ev.nats * ev.chars, 3);
    expect(json(i.stdout).map((x) => x.char).join('')).toBe(prepared);
  });

  it("inspect's refusals say cannot inspect", async () => {
    const r = await cli(['inspect', PRETRAINED, '-'], dir, 'a \u00b6 b\n');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^charnn: cannot inspect: the text has 1 character the model never saw: .*U\+00B6/);
  });
});

const defaults = <T extends Table>(t: T) => Object.fromEntries(Object.entries(t).map(([k, v]) => [k, v.default])) as Values<T>;

describe('the commands as functions (no commander, no process)', () => {
  it('eval returns its figures and reports one line; score and info write to the io port', async () => {
    const io = quietIo({ cwd: dir, stdin: async () => new TextEncoder().encode(AWKWARD) });
    const r = await evaluate({ ...defaults(EVAL), backend: 'js' }, new Set(['backend']), 'prep', '-', io);
    expect(r).toMatchObject({ what: 'standard input', chars: [...AWKWARD.replace(/\r\n/g, '\n').normalize('NFC')].length - 1 });
    expect(r.bpc).toBeCloseTo(r.nats / Math.LN2, 12);
    expect(io.written).toEqual([`${r.nats.toFixed(4)} nats/char, ${r.bpc.toFixed(4)} bits/char over ${r.chars} characters of standard input (${r.how})\n`]);
    const s = quietIo({ cwd: dir, stdin: async () => new TextEncoder().encode(AWKWARD) });
    await score({ ...defaults(SCORE), backend: 'js', by: 'line' }, new Set(['backend', 'by']), 'prep/latest.json', '-', s);
    expect(s.written.map((l) => JSON.parse(l).line)).toEqual([1, 2]);
    const i = quietIo({ cwd: dir });
    const summary = await info({ ...defaults(INFO), json: true }, 'prep/latest.json', i);
    expect(JSON.parse(i.written.join(''))).toEqual(JSON.parse(JSON.stringify(summary)));
  });
});

describe('a run folder wherever a checkpoint is', () => {
  it('eval, score, inspect, info and export take a run folder (its best.json, else latest.json)', async () => {
    writeFileSync(join(dir, 'plain.txt'), 'Caf\u00e9 number 3 serves cr\u00e8me.\n');
    const runs = await Promise.all([
      cli(['eval', 'prep', 'plain.txt', '--backend', 'js']),
      cli(['score', 'prep', 'plain.txt', '--backend', 'js']),
      cli(['inspect', 'prep', 'plain.txt', '--backend', 'js']),
      cli(['info', 'prep']),
      cli(['export', 'prep', '-o', 'prep.safetensors']),
    ]);
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    expect(runs[3].stdout).toMatch(/^checkpoint +prep\/best\.json/);
    expect(runs[4].stdout).toBe('prep.safetensors\n');
  });
});

describe("a checkpoint's corpus, found the same way from any folder", () => {
  it('train --resume without a corpus resumes on the checkpoint\'s own, here and from another folder', async () => {
    const sha = loadCheckpoint(join(dir, 'prep', 'latest.json')).corpus!.sha256;
    const here = await cli(['train', '--resume', 'prep/latest.json', '--steps', '2', '--backend', 'js']);
    expect(here.code, here.stderr).toBe(0);
    expect(here.stderr).toContain("resuming on the checkpoint's corpus: corpus.txt");
    const there = await cli(['train', '--resume', '../prep/latest.json', '--steps', '2', '--backend', 'js'], join(dir, 'elsewhere'));
    expect(there.code, there.stderr).toBe(0);
    const after = loadCheckpoint(join(dir, 'prep', 'latest.json'));
    expect(after.corpus!.sha256).toBe(sha);
    expect(after.progress.step).toBe(14);
  });

  it('train --resume of a run whose corpus is gone says what was tried', async () => {
    const r = await cli(['train', '-', ...TINY, '--steps', '3', '--out', 'piped'], dir, CORPUS);
    expect(r.code, r.stderr).toBe(0);
    const again = await cli(['train', '--resume', 'piped/latest.json', '--steps', '2']);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/^charnn: cannot resume: the checkpoint's corpus is not available: it was read from standard input \(give the corpus: charnn train FILE --resume piped\/latest\.json/);
  });

  it('sample --novel finds the training list from another folder', async () => {
    const r = await cli(['sample', '../names/latest.json', '--count', '3', '--novel', '--seed', '1', '--backend', 'js'], join(dir, 'elsewhere'));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/novel: \d+ of \d+ drawn/);
    for (const l of r.stdout.trim().split('\n')) expect(NAMES).not.toContain(l);
  });
});

describe('one vocabulary of options: old spellings still work and say what to use', () => {
  it('export --out and --force are -o/--output and --overwrite', async () => {
    const first = await cli(['export', PRETRAINED, '--out', 'old.safetensors']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toContain('charnn: warning: --out is now --output for export\n');
    expect(first.stdout).toBe('old.safetensors\n');
    const again = await cli(['export', PRETRAINED, '--out', 'old.safetensors', '--force', '-q']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain('charnn: warning: --force is now --overwrite for export\n');
    const help = await cli(['export', '--help']);
    expect(help.stdout).toContain('--overwrite');
    expect(help.stdout).not.toMatch(/--force|--out\b/);
  });

  it('inspect --top and --probs are --top-k and --per-char', async () => {
    const r = await cli(['inspect', 'prep/latest.json', 'plain.txt', '--top', '2', '--pattern', 'Caf', '--backend', 'js']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('charnn: warning: --top is now --top-k for inspect\n');
    expect(json(r.stdout)).toHaveLength(2);
    const p = await cli(['inspect', 'prep/latest.json', 'plain.txt', '--probs', '--backend', 'js']);
    expect(p.stderr).toBe('charnn: warning: --probs is now --per-char for inspect\n');
    expect(json(p.stdout)[0].top).toHaveLength(5);
  });

  it('the options reader folds an alias into its key; the new spelling wins when both are given', () => {
    const read = (args: string[]) => {
      const cmd = addOptions(new Command('export').exitOverride(), EXPORT);
      cmd.parse(args, { from: 'user' });
      return readOptions(cmd, EXPORT);
    };
    const old = read(['--force', '--out', 'a.onnx']);
    expect(old.values).toMatchObject({ overwrite: true, output: 'a.onnx' });
    expect([...old.given].sort()).toEqual(['output', 'overwrite']);
    expect(old.renamed).toEqual([['--out', '--output'], ['--force', '--overwrite']]);
    expect(read(['--out', 'a.onnx', '-o', 'b.onnx']).values.output).toBe('b.onnx');
    const cmd = addOptions(new Command('inspect').exitOverride(), INSPECT);
    cmd.parse(['--top', '3'], { from: 'user' });
    expect(readOptions(cmd, INSPECT).values.topK).toBe(3);
  });
});
