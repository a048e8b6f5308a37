/**
 * The playground page in a real browser: Debian's Chromium, headless, driven by playwright-core. Load the page,
 * read the model card and the chart, set temperature and seed, generate, and compare the streamed text with
 * `charnn sample` run with the same options; stop a long stream; show a refused request; fit a phone's screen.
 *
 * Skips (saying why) where there is no Chromium: `apt-get install -y chromium`, or CHARNN_CHROMIUM=/path.
 * Screenshots go to CHARNN_SCREENSHOTS (a folder) when set, e.g. CHARNN_SCREENSHOTS=docs for docs/serve.md's.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { loadCheckpoint } from '../src/checkpoint/io.js';
import { ROOT, tempDir } from './helpers/cli.js';
import { cliSample, getJson, startServer, type ServerProcess } from './helpers/serve.js';

// the browser's globals, as the callbacks handed to page.evaluate see them (the project compiles without the DOM lib)
/* eslint-disable @typescript-eslint/no-explicit-any */
declare const document: any, window: any, MutationObserver: any;
type HTMLElement = { hidden: boolean; innerText: string };

const CHROMIUM = process.env.CHARNN_CHROMIUM ?? '/usr/bin/chromium';
const HAVE = existsSync(CHROMIUM);
const WHY = `skipped: no Chromium at ${CHROMIUM} (apt-get install -y chromium, or set CHARNN_CHROMIUM)`;
if (!HAVE) console.warn(`serve-page.test.ts: ${WHY}`);

const CKPT = join(ROOT, 'checkpoints', 'pretrained', 'tinyshakespeare.json');
/** the bundled model's header: the figures its card and /v1/models must show */
const BUNDLED = (() => {
  const c = loadCheckpoint(CKPT);
  return { ...c.model, params: c.tensors.reduce((n, t) => n + t.data.length, 0), steps: c.progress.step, best: c.progress.bestValLoss!, bestAt: c.progress.bestValStep! };
})();
const SHOTS = process.env.CHARNN_SCREENSHOTS;

describe.skipIf(!HAVE)(`the playground page in headless Chromium${HAVE ? '' : ` (${WHY})`}`, () => {
  let s: ServerProcess;
  let browser: Browser;
  let dir: string;
  let cleanup: () => void;

  beforeAll(async () => {
    ({ dir, cleanup } = tempDir());
    const { chromium } = await import('playwright-core');
    [s, browser] = await Promise.all([
      startServer([CKPT], dir),
      // --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start
      chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] }),
    ]);
  });
  afterAll(async () => {
    await browser?.close();
    await s?.stop();
    cleanup?.();
  });

  async function open(viewport: { width: number; height: number }): Promise<Page> {
    const page = await browser.newPage({ viewport, deviceScaleFactor: 1 });
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
    page.on('requestfailed', (r) => !r.url().endsWith('/v1/sample') && problems.push(`${r.url()} ${r.failure()?.errorText}`));
    await page.goto(s.url);
    await page.waitForSelector('body[data-state="ready"]');
    (page as Page & { problems: string[] }).problems = problems;
    return page;
  }
  const problemsOf = (p: Page) => (p as Page & { problems: string[] }).problems;

  /** Fill the form, generate, wait for the end; returns the text and how many times it grew while streaming. */
  async function generate(page: Page, o: { prime: string; temp: number; seed: number; length: number }): Promise<{ text: string; updates: number }> {
    await page.fill('#prime', o.prime);
    await page.fill('#temp', String(o.temp));
    await page.fill('#seed', String(o.seed));
    await page.fill('#length', String(o.length));
    await page.evaluate(() => {
      const w = window as unknown as { updates: number };
      w.updates = 0;
      new MutationObserver(() => {
        if (document.body.dataset.state === 'streaming') w.updates++;
      }).observe(document.getElementById('output')!, { childList: true, characterData: true, subtree: true });
    });
    await page.click('#generate');
    await page.waitForSelector('body[data-state="done"]');
    return { text: await page.$eval('#output', (e) => e.textContent ?? ''), updates: await page.evaluate(() => (window as unknown as { updates: number }).updates) };
  }

  it('shows the model card and its loss curve as an SVG chart', async () => {
    const page = await open({ width: 1280, height: 800 });
    const card = await page.$eval('#card', (e) => (e as HTMLElement).innerText);
    expect(card).toContain(`${BUNDLED.cell.toUpperCase()}, ${BUNDLED.layers} layers × ${BUNDLED.hidden}`);
    expect(card).toContain(`${BUNDLED.params.toLocaleString('en-US')} parameters`);
    expect(card).toMatch(/tinyshakespeare, 1\.1M characters/);
    expect(card).toMatch(new RegExp(`${BUNDLED.best.toFixed(3).replace('.', '\\.')} nats/char .* at step ${BUNDLED.bestAt.toLocaleString('en-US')}`));
    const models = (await getJson(s.url, '/v1/models')).body.data;
    const points = await page.$eval('#chart polyline.train', (e) => e.getAttribute('points')!.trim().split(/\s+/).length);
    expect(points).toBe(models[0].lossHistory.length);
    expect(await page.$$eval('#chart circle.val-dot', (e) => e.length)).toBe(models[0].lossHistory.filter((p: { val?: number }) => p.val !== undefined).length);
    expect(await page.$$eval('#chart .axis text', (e) => e.map((t) => t.textContent))).toEqual(expect.arrayContaining(['training step', 'nats / char']));
    expect(problemsOf(page)).toEqual([]);
    await page.close();
  });

  it('generates the same text as charnn sample with the temperature and seed set on the page', async () => {
    const page = await open({ width: 1280, height: 800 });
    const o = { prime: 'ROMEO:', temp: 0.55, seed: 42, length: 2500 };
    const [{ text, updates }, want] = await Promise.all([generate(page, o), cliSample(CKPT, o, dir)]);
    expect(text).toBe(want);
    expect(updates).toBeGreaterThan(3); // the text streamed in, in pieces
    expect(await page.$eval('#meta', (e) => e.textContent)).toMatch(/^seed 42 · 2,500 characters in [\d.]+ s · done$/);
    expect(await page.$eval('#output .prime', (e) => e.textContent)).toBe('ROMEO:');
    if (SHOTS) {
      mkdirSync(SHOTS, { recursive: true });
      await page.$eval('#output', (e) => (e.scrollTop = 0));
      await page.screenshot({ path: join(SHOTS, 'serve-playground.png'), fullPage: true });
    }
    expect(problemsOf(page)).toEqual([]);
    await page.close();
  });

  it('Stop ends a long stream, on the page and on the server', async () => {
    const page = await open({ width: 1280, height: 800 });
    await page.fill('#length', '10000');
    await page.fill('#seed', '7');
    await page.click('#generate');
    await page.waitForFunction(() => (document.getElementById('output')!.textContent ?? '').length > 200);
    await page.click('#stop');
    await page.waitForSelector('body[data-state="stopped"]');
    expect(await page.$eval('#meta', (e) => e.textContent)).toMatch(/^seed 7 · stopped after [\d,]+ characters$/);
    const shown = (await page.$eval('#output', (e) => e.textContent ?? '')).length;
    expect(shown).toBeLessThan(10000);
    for (let i = 0; i < 100 && (await getJson(s.url, '/v1/health')).body.streams > 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect((await getJson(s.url, '/v1/health')).body.streams).toBe(0);
    await page.close();
  });

  it("shows the server's one-line error for a prime the model cannot read", async () => {
    const page = await open({ width: 1280, height: 800 });
    await page.fill('#prime', 'Café €');
    await page.click('#generate');
    await page.waitForSelector('body[data-state="error"]');
    expect(await page.$eval('#error', (e) => (e as HTMLElement).hidden)).toBe(false);
    expect(await page.$eval('#error', (e) => e.textContent)).toMatch(/^charnn: cannot use the prime: the prime has 2 characters the model never saw: "é" \(U\+00E9\), "€" \(U\+20AC\)/);
    expect(await page.$eval('#meta', (e) => e.textContent)).toBe('refused (HTTP 400)');
    await page.close();
  });

  it('fits a phone-sized screen: one column, nothing wider than the screen, controls in reach', async () => {
    const page = await open({ width: 390, height: 844 });
    const o = { prime: 'JULIET:', temp: 0.8, seed: 3, length: 400 };
    const [{ text }, want] = await Promise.all([generate(page, o), cliSample(CKPT, o, dir)]);
    expect(text).toBe(want);
    const layout = await page.evaluate(() => {
      const box = (id: string) => document.getElementById(id)!.getBoundingClientRect();
      return {
        scrollWidth: document.documentElement.scrollWidth,
        width: window.innerWidth,
        generate: box('generate'),
        output: box('output'),
        chart: box('chart'),
      };
    });
    expect(layout.scrollWidth).toBeLessThanOrEqual(layout.width); // no sideways scrolling
    expect(layout.generate.right).toBeLessThanOrEqual(layout.width);
    expect(layout.generate.height).toBeGreaterThanOrEqual(32); // a finger-sized button
    expect(layout.output.top).toBeGreaterThan(layout.generate.bottom); // stacked, controls first
    expect(layout.chart.width).toBeGreaterThan(300);
    if (SHOTS) await page.screenshot({ path: join(SHOTS, 'serve-phone.png'), fullPage: true });
    expect(problemsOf(page)).toEqual([]);
    await page.close();
  });
});
