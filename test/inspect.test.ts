/**
 * `charnn inspect`: the core trace (its probabilities against score's surprisals, its hidden outputs against the
 * state the step leaves), correlation and top-k against naive twins; the real binary's JSON lines, ANSI and
 * refusals; and the HTML page in headless Chromium (Debian's chromium, driven by playwright-core): every
 * character a coloured span carrying its activation and guesses; a screenshot to CHARNN_SCREENSHOTS when set.
 *
 * The browser part skips (saying why) where there is no Chromium: `apt-get install -y chromium`, or
 * CHARNN_CHROMIUM=/path.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { createKernels } from '../src/math/backend.js';
import type { Kernels } from '../src/math/kernels.js';
import { Rng } from '../src/math/rng.js';
import { CharRNN } from '../src/model/char-rnn.js';
import { Scorer } from '../src/sample/score.js';
import { correlatedUnits, pearson, trace, unitSeries } from '../src/sample/trace.js';
import { ROOT, runCli, tempDir } from './helpers/cli.js';

// the browser's globals, as page.evaluate's callbacks see them (the project compiles without the DOM lib)
declare const document: { querySelectorAll(s: string): ArrayLike<{ textContent: string; title: string; style: { background: string }; dataset: Record<string, string> }> };

const CKPT = join(ROOT, 'checkpoints', 'pretrained', 'tinyshakespeare.json');
const EXCERPT = `First Citizen:
Before we proceed any further, hear me speak.

All:
Speak, speak.

First Citizen:
You are all resolved rather to die than to famish?

All:
Resolved. resolved.

First Citizen:
First, you know Caius Marcius is chief enemy to the people.
`;

let k: Kernels;
beforeAll(async () => {
  k = await createKernels('naive');
});

describe('trace (core)', () => {
  it("probabilities are score's surprisals; hidden outputs are the state after each step; guesses sorted", () => {
    for (const cell of ['lstm', 'gru', 'rnn'] as const) {
      const m = new CharRNN(k, { cell, layers: 2, hidden: 4, vocabSize: 6, dropout: 0 });
      m.init(new Rng(5));
      const ids = [1, 4, 2, 2, 5, 0, 3];
      const t = trace(m, [0], ids, 3);
      const s = new Scorer(m).surprisals([0], ids);
      ids.forEach((_, i) => expect(Math.log(t.prob[i])).toBeCloseTo(-s[i], 5));
      // hidden: replay by hand
      const state = m.newState(1), logits = k.alloc(6), x = new Int32Array(1);
      const S = cell === 'lstm' ? 2 : 1;
      x[0] = 0;
      m.step(logits, x, 1, state);
      ids.forEach((id, i) => {
        x[0] = id;
        m.step(logits, x, 1, state);
        for (let l = 0; l < 2; l++) for (let u = 0; u < 4; u++) expect(t.hidden[(i * 2 + l) * 4 + u]).toBe(Math.fround(state[l * S * 4 + u]));
        const p = Array.from({ length: 3 }, (_, j) => t.topProbs[i * 3 + j]);
        expect([...p].sort((a, b) => b - a)).toEqual(p);
      });
      // the actual character's probability is among the guesses' exactly when it is one of them
      ids.forEach((id, i) => {
        const at = Array.from(t.topIds.subarray(i * 3, i * 3 + 3)).indexOf(id);
        if (at >= 0) expect(t.topProbs[i * 3 + at]).toBe(t.prob[i]);
        else expect(t.prob[i]).toBeLessThanOrEqual(t.topProbs[i * 3 + 2]);
      });
    }
  });

  it('pearson against the textbook formula; a planted unit is found first', () => {
    const x = [1, 2, 3, 4, 10], y = [2, 1, 4, 3, 9];
    const mx = 4, my = 3.8;
    const num = x.reduce((a, xi, i) => a + (xi - mx) * (y[i] - my), 0);
    const den = Math.sqrt(x.reduce((a, xi) => a + (xi - mx) ** 2, 0) * y.reduce((a, yi) => a + (yi - my) ** 2, 0));
    expect(pearson(x, y, 5)).toBeCloseTo(num / den, 12);
    expect(pearson([1, 1, 1], [1, 2, 3], 3)).toBe(0);
    const n = 50, L = 2, H = 3;
    const ind = Float64Array.from({ length: n }, (_, i) => (i % 7 < 3 ? 1 : 0));
    const rng = new Rng(1);
    const hidden = Float32Array.from({ length: n * L * H }, () => rng.range(-1, 1));
    for (let i = 0; i < n; i++) hidden[(i * L + 1) * H + 2] = ind[i] * 0.8 - 0.3 + 0.01 * rng.range(-1, 1); // layer 1 unit 2 follows it
    const t = { n, L, H, hidden, k: 0, topIds: new Int32Array(0), topProbs: new Float32Array(0), prob: new Float32Array(0) };
    const top = correlatedUnits(t, ind, 3);
    expect(top[0]).toMatchObject({ layer: 1, unit: 2 });
    expect(top[0].r).toBeGreaterThan(0.99);
    expect(Array.from(unitSeries(t, 1, 2))).toEqual(Array.from({ length: n }, (_, i) => hidden[(i * L + 1) * H + 2]));
  });
});

describe('charnn inspect (real binary)', () => {
  let dir: string;
  let cleanup: () => void;
  beforeAll(() => {
    ({ dir, cleanup } = tempDir({ 'excerpt.txt': EXCERPT }));
  });
  afterAll(() => cleanup());
  const jsonLines = (s: string) => s.trim().split('\n').map((l) => JSON.parse(l));

  it('piped: one JSON line per character with the unit activation; --ansi colours each character', async () => {
    const r = await runCli(['inspect', CKPT, 'excerpt.txt', '--layer', '1', '--unit', '20'], { cwd: dir });
    expect(r.code).toBe(0);
    const rows = jsonLines(r.stdout);
    expect(rows.map((x) => x.char).join('')).toBe(EXCERPT);
    for (const x of rows) expect(Math.abs(x.activation)).toBeLessThanOrEqual(1);
    const a = await runCli(['inspect', CKPT, 'excerpt.txt', '--layer', '1', '--unit', '20', '--ansi'], { cwd: dir });
    const cells = a.stdout.match(/\x1b\[48;2;\d+;\d+;\d+m\x1b\[38;2;0;0;0m./gu)!;
    expect(cells.length).toBe([...EXCERPT].filter((c) => c !== '\n').length);
    expect(a.stdout.replace(/\x1b\[[\d;]*m/g, '')).toBe(EXCERPT);
  });

  it("--top-k finds units that follow speaker-name lines; --per-char gives score's probabilities", async () => {
    const r = await runCli(['inspect', CKPT, 'excerpt.txt', '--top-k', '3', '--pattern', '^[A-Z][a-z]+( [A-Z][a-z]+)?:$'], { cwd: dir });
    expect(r.code).toBe(0);
    const top = jsonLines(r.stdout);
    expect(top).toHaveLength(3);
    expect(Math.abs(top[0].r)).toBeGreaterThan(0.5); // the bundled model has a speaker-line unit (|r| ~0.9)
    for (let i = 1; i < 3; i++) expect(Math.abs(top[i].r)).toBeLessThanOrEqual(Math.abs(top[i - 1].r));
    const line = 'Before we proceed any further, hear me speak.';
    const p = await runCli(['inspect', CKPT, '-', '--per-char'], { cwd: dir, input: line + '\n' });
    const s = await runCli(['score', CKPT, '-', '--by', 'line', '--per-char'], { cwd: dir, input: line + '\n' });
    const probs = jsonLines(p.stdout);
    const per = jsonLines(s.stdout)[0].per_char;
    expect(probs).toHaveLength(per.length);
    probs.forEach((x, i) => {
      expect(x.char).toBe(per[i].char);
      expect(-Math.log(x.p)).toBeCloseTo(per[i].nats, 3);
      expect(x.top).toHaveLength(5);
      expect(x.top[0][1]).toBeGreaterThanOrEqual(x.top[4][1]);
    });
  });

  it('refusals: a unit or layer the model lacks, --top-k without --pattern, a bad regex', async () => {
    const { hidden: H, layers: L } = JSON.parse(readFileSync(CKPT, 'utf8')).model as { hidden: number; layers: number };
    const a = await runCli(['inspect', CKPT, 'excerpt.txt', '--unit', String(H)], { cwd: dir });
    expect(a.code).toBe(2);
    expect(a.stderr).toBe(`charnn: invalid options: --unit ${H}: the model has ${H} units per layer (0 to ${H - 1})\n`);
    const b = await runCli(['inspect', CKPT, 'excerpt.txt', '--layer', String(L)], { cwd: dir });
    expect(b.stderr).toContain(`--layer ${L}: the model has ${L} layers (0 to ${L - 1})`);
    const c = await runCli(['inspect', CKPT, 'excerpt.txt', '--top-k', '3'], { cwd: dir });
    expect(c.stderr).toMatch(/^charnn: invalid options: --top-k needs --pattern/);
    const d = await runCli(['inspect', CKPT, 'excerpt.txt', '--top-k', '3', '--pattern', '(['], { cwd: dir });
    expect(d.code).not.toBe(0);
    expect(d.stderr).toMatch(/^charnn: invalid --pattern: .*\n$/);
  });
});

const CHROMIUM = process.env.CHARNN_CHROMIUM ?? '/usr/bin/chromium';
const HAVE = existsSync(CHROMIUM);
const WHY = `skipped: no Chromium at ${CHROMIUM} (apt-get install -y chromium, or set CHARNN_CHROMIUM)`;
if (!HAVE) console.warn(`inspect.test.ts: ${WHY}`);
const SHOTS = process.env.CHARNN_SCREENSHOTS;

describe.skipIf(!HAVE)(`inspect --html in headless Chromium${HAVE ? '' : ` (${WHY})`}`, () => {
  let browser: Browser;
  let dir: string;
  let cleanup: () => void;
  beforeAll(async () => {
    ({ dir, cleanup } = tempDir({ 'excerpt.txt': EXCERPT }));
    const { chromium } = await import('playwright-core');
    // --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    cleanup?.();
  });

  it('renders every character as a coloured span with its activation and the top guesses', async () => {
    const r = await runCli(['inspect', CKPT, 'excerpt.txt', '--top-k', '1', '--pattern', '^[A-Z][a-z]+( [A-Z][a-z]+)?:$', '--per-char', '--html', 'out.html'], { cwd: dir });
    expect(r.code).toBe(0);
    const [best, path] = r.stdout.trim().split('\n');
    expect(path).toBe('out.html');
    const { layer, unit } = JSON.parse(best);
    const acts = (await runCli(['inspect', CKPT, 'excerpt.txt', '--layer', String(layer), '--unit', String(unit)], { cwd: dir })).stdout;
    const expected = acts.trim().split('\n').map((l) => JSON.parse(l) as { char: string; activation: number });

    const html = readFileSync(join(dir, 'out.html'), 'utf8');
    expect(html).not.toMatch(/<script|<link|src=|url\(/); // self-contained
    const page = await browser.newPage({ viewport: { width: 900, height: 640 }, deviceScaleFactor: 1 });
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('requestfailed', (q) => problems.push(q.url()));
    await page.goto('file://' + join(dir, 'out.html'));
    const spans = await page.evaluate(() =>
      Array.from(document.querySelectorAll('pre#text span')).map((s) => ({ text: s.textContent, a: Number(s.dataset.a), title: s.title, bg: s.style.background })),
    );
    expect(spans).toHaveLength(expected.length);
    spans.forEach((s, i) => {
      expect(s.text).toBe(expected[i].char === '\n' ? '↵\n' : expected[i].char);
      expect(s.a).toBeCloseTo(expected[i].activation, 3);
      expect(s.bg).toMatch(/^rgb\(\d+, \d+, \d+\)$/);
      expect(s.title.split('\n')).toHaveLength(6); // the character and its activation, then 5 guesses
    });
    // positive and negative activations both appear, in different colours
    expect(new Set(spans.map((s) => s.bg)).size).toBeGreaterThan(10);
    expect(await page.title()).toBe(`charnn inspect: layer ${layer}, unit ${unit}`);
    expect(problems).toEqual([]);
    if (SHOTS) {
      mkdirSync(SHOTS, { recursive: true });
      await page.screenshot({ path: join(SHOTS, 'inspect.png'), fullPage: true });
    }
    await page.close();
  }, 60_000);
});
