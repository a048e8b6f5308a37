/**
 * Line mode through the real binary: train --lines on a list the test makes (names built from syllables, with
 * empty lines and CRLF ends), then sample --count, --prime, --novel, --unique, --json, eval and info; --stop-at
 * on a stream model; the usage errors between the two modes.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, smallText, tempDir } from './helpers/cli.js';

/** 400 names from 12 syllables (seeded), a few repeated, plus 3 empty lines and one CRLF line. */
function makeList(): { text: string; names: string[] } {
  const syl = ['ka', 'ri', 'na', 'lo', 'mi', 'ta', 'el', 'sa', 'bo', 'ju', 'an', 'ne'];
  let x = 12345;
  const names: string[] = [];
  for (let i = 0; i < 400; i++) {
    let s = '';
    const n = 1 + (i % 3);
    for (let j = 0; j <= n; j++) {
      x = (x * 1103515245 + 12345) % 2147483648;
      s += syl[(x >>> 16) % syl.length];
    }
    names.push(s);
  }
  const text = names.slice(0, 200).join('\n') + '\n\n' + names.slice(200, 300).join('\n') + '\r\n\n\n' + names.slice(300).join('\n') + '\n';
  return { text, names };
}

describe('line mode (real binary)', () => {
  const { text, names } = makeList();
  const corpus = new Set(names);
  let dir: string, cleanup: () => void, ckpt: string;
  const run = (args: string[], timeoutMs = 60_000) => runCli(args, { cwd: dir, timeoutMs });

  beforeAll(async () => {
    ({ dir, cleanup } = tempDir({ 'list.txt': text, 'story.txt': smallText(200) }));
    const r = await run(['train', 'list.txt', '--lines', '--steps', '200', '--hidden', '48', '--layers', '1', '--batch', '16', '--lr', '0.01', '--out', 'run', '--eval-every', '100', '--backend', 'js'], 120_000);
    expect(r.code, r.stderr).toBe(0);
    ckpt = r.stdout.trim();
    expect(r.stderr).toMatch(/line mode: 400 lines, the longest \d+ characters; 3 empty lines skipped/);
  }, 180_000);
  afterAll(() => cleanup?.());

  it('training on a list: the checkpoint records line mode; info shows it', async () => {
    const doc = JSON.parse(readFileSync(join(dir, ckpt), 'utf8'));
    expect(doc.model.mode).toBe('lines');
    expect(doc.model.startState).toBe('zero');
    expect(doc.vocab).toContain('\n');
    const info = await run(['info', ckpt]);
    expect(info.code).toBe(0);
    expect(info.stdout).toMatch(/mode\s+lines: one example per line/);
  });

  it('--count N gives exactly N lines, every one ended by the end token (--json: ended), no line break inside', async () => {
    for (const n of [1, 7, 40]) {
      const r = await run(['sample', ckpt, '--count', String(n), '--seed', '5', '--json']);
      expect(r.code, r.stderr).toBe(0);
      const rows = r.stdout.split('\n').slice(0, -1).map((l) => JSON.parse(l));
      expect(rows).toHaveLength(n);
      for (const o of rows) {
        expect(Object.keys(o).sort()).toEqual(['ended', 'logProb', 'text']);
        expect(o.ended).toBe(true);
        expect(typeof o.text).toBe('string');
        expect(o.text).not.toMatch(/[\r\n]/);
        expect(o.logProb).toBeLessThan(0);
      }
      const plain = await run(['sample', ckpt, '--count', String(n), '--seed', '5']);
      expect(plain.stdout.split('\n').slice(0, -1)).toEqual(rows.map((o) => o.text));
    }
  });

  it('--length cuts a line (ended false) at that many characters', async () => {
    const r = await run(['sample', ckpt, '--count', '20', '--length', '3', '--json', '--seed', '1']);
    const rows = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(rows).toHaveLength(20);
    for (const o of rows) expect([...o.text].length).toBeLessThanOrEqual(3);
    expect(rows.some((o) => !o.ended && o.text.length === 3)).toBe(true);
  });

  it('--prime works per sample: every line starts with it', async () => {
    const r = await run(['sample', ckpt, '--count', '15', '--prime', 'ju', '--seed', '2']);
    const lines = r.stdout.split('\n').slice(0, -1);
    expect(lines).toHaveLength(15);
    for (const l of lines) expect(l.startsWith('ju')).toBe(true);
  });

  it('--novel prints only lines not in the list and reports the novel fraction; --unique no repeats', async () => {
    // at a low temperature the model mostly recites the list: the filter has work to do
    const all = await run(['sample', ckpt, '--count', '60', '--temp', '0.5', '--seed', '3']);
    const recited = all.stdout.split('\n').slice(0, -1).filter((l) => corpus.has(l)).length;
    expect(recited).toBeGreaterThan(0);
    const r = await run(['sample', ckpt, '--count', '25', '--temp', '0.5', '--seed', '3', '--novel', '--unique']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split('\n').slice(0, -1);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.length).toBeLessThanOrEqual(25);
    for (const l of lines) expect(corpus.has(l), `${l} is in the list`).toBe(false);
    expect(new Set(lines).size).toBe(lines.length);
    const m = /novel: (\d+) of (\d+) drawn \(([\d.]+)%\)/.exec(r.stderr);
    expect(m, r.stderr).not.toBeNull();
    expect(Number(m![1])).toBeLessThan(Number(m![2]));
    // --unique alone: repeats dropped, still N lines
    const u = await run(['sample', ckpt, '--count', '30', '--temp', '0.5', '--seed', '4', '--unique']);
    const ul = u.stdout.split('\n').slice(0, -1);
    expect(new Set(ul).size).toBe(ul.length);
  });

  it('--novel with the list given by --corpus; a missing list is one clear error', async () => {
    writeFileSync(join(dir, 'other.txt'), names.slice(0, 50).join('\n'));
    const r = await run(['sample', ckpt, '--count', '10', '--novel', '--corpus', 'other.txt', '--seed', '1']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/not the list the model was trained on/);
    for (const l of r.stdout.split('\n').slice(0, -1)) expect(names.slice(0, 50)).not.toContain(l);
    const bad = await run(['sample', ckpt, '--count', '3', '--novel', '--corpus', 'nope.txt']);
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/^charnn: cannot read the training list for --novel: .*nope\.txt.*\(give the training list with --corpus PATH\)/);
  });

  it('logProb agrees with eval: -logProb / (n + 1) is the loss of that one line', async () => {
    const r = await run(['sample', ckpt, '--count', '1', '--json', '--seed', '9']);
    const o = JSON.parse(r.stdout);
    writeFileSync(join(dir, 'one.txt'), o.text + '\n');
    const e = await run(['eval', ckpt, 'one.txt']);
    expect(e.code, e.stderr).toBe(0);
    const loss = Number(/^([\d.]+) nats\/char/.exec(e.stdout)![1]);
    expect(loss).toBeCloseTo(-o.logProb / ([...o.text].length + 1), 3);
    expect(e.stdout).toMatch(/over \d+ characters \(1 lines, end tokens included\)/);
  });

  it('eval without a text gives the validation loss training reported (the same lines, end tokens included)', async () => {
    const doc = JSON.parse(readFileSync(join(dir, ckpt), 'utf8'));
    const e = await run(['eval', ckpt]);
    expect(e.code, e.stderr).toBe(0);
    expect(Number(/^([\d.]+)/.exec(e.stdout)![1])).toBeCloseTo(doc.progress.bestValLoss, 3);
    expect(e.stdout).toMatch(/\(40 lines, end tokens included\) of the validation lines of list\.txt/);
  });

  it('a resumed line run stays in line mode; --lines cannot be dropped or added on resume', async () => {
    const r = await run(['train', '--resume', ckpt, 'list.txt', '--steps', '5', '--backend', 'js']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/line mode: 400 lines/);
    const bad = await run(['train', '--resume', ckpt, 'list.txt', '--steps', '5', '--start-state', 'learned']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--start-state learned differs from the checkpoint's zero/);
  });

  it('stream mode: --stop-at ends the sample at the first occurrence (printed); line options are refused', async () => {
    const t = await run(['train', 'story.txt', '--steps', '30', '--hidden', '32', '--layers', '1', '--batch', '4', '--seq', '16', '--out', 'srun', '--backend', 'js']);
    expect(t.code, t.stderr).toBe(0);
    const s = t.stdout.trim();
    for (const stop of ['e', 'o ', ' t', '.\n']) {
      const r = await run(['sample', s, '--stop-at', stop, '--length', '5000', '--seed', '7', '--prime', 'the ']);
      expect(r.code).toBe(0);
      const gen = r.stdout.slice(4);
      expect(r.stdout.endsWith(stop), JSON.stringify(r.stdout)).toBe(true);
      // the first occurrence (it may start in the prime's tail) is the one that ends the text
      const hay = (stop.length > 1 ? 'the '.slice(-(stop.length - 1)) : '') + gen;
      expect(hay.indexOf(stop)).toBe(hay.length - stop.length);
    }
    const c = await run(['sample', s, '--count', '3']);
    expect(c.code).toBe(2);
    expect(c.stderr).toMatch(/--count needs a line-mode model/);
    const l = await run(['sample', ckpt, '--stop-at', 'x']);
    expect(l.code).toBe(2);
    expect(l.stderr).toMatch(/--stop-at is for stream models/);
    const i = await run(['info', s]);
    expect(i.stdout).toMatch(/mode\s+stream/);
  });
});
