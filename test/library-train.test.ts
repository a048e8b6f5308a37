/**
 * The library's train() (issue 20, "a library API with a front door"): imported from the built package as a user
 * would, it resolves to the checkpoint path, reports progress through its callback, takes its defaults from the
 * one defaults table (the same checkpoint as `charnn train` with the same options, bit for bit, defaults
 * included), validates options as the CLI does, refuses a folder holding a run as the CLI does, and stops after
 * the current step (with a save) on an AbortSignal.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCheckpoint } from '../src/checkpoint/io.js';
import { TRAIN } from '../src/options.js';
import { requireBuild, ROOT, smallText, tempDir } from './helpers/cli.js';
import { runCharnn } from './helpers/reliability.js';

type Lib = typeof import('../src/index.js');
let lib: Lib;
let dir: string;
let cleanup: () => void;
let cwd: string;
beforeAll(async () => {
  requireBuild();
  lib = (await import(pathToFileURL(join(ROOT, 'dist', 'index.js')).href)) as Lib;
  ({ dir, cleanup } = tempDir({ 'corpus.txt': smallText(200) }));
  cwd = process.cwd();
});
afterAll(() => {
  process.chdir(cwd);
  cleanup();
});

const tensorsOf = (path: string) => JSON.parse(readFileSync(path, 'utf8')).tensors as unknown;

describe('library train()', () => {
  it('gives the checkpoint charnn train gives with the same options, its defaults included, and reports progress', async () => {
    const events: Array<{ type: string; step?: number; message?: string }> = [];
    // only the budget and the layout given: cell, size, dropout, lr, seed ... come from the defaults table
    const path = await lib.train(join(dir, 'corpus.txt'), {
      batch: 2, seq: 8, steps: 4, evalEvery: 2, backend: 'js', out: join(dir, 'lib'), onProgress: (e) => events.push(e),
    });
    expect(path).toBe(join(dir, 'lib', 'latest.json'));
    const cli = await runCharnn(['train', 'corpus.txt', '--batch', '2', '--seq', '8', '--steps', '4', '--eval-every', '2', '--backend', 'js', '--out', 'cli', '-q'], { cwd: dir });
    expect(cli.code, cli.stderr).toBe(0);
    const a = loadCheckpoint(path), b = loadCheckpoint(join(dir, 'cli', 'latest.json'));
    expect(a.model).toEqual({ cell: TRAIN.cell.default, layers: TRAIN.layers.default, hidden: TRAIN.hidden.default, dropout: TRAIN.dropout.default, vocabSize: b.model.vocabSize });
    expect(tensorsOf(path)).toEqual(tensorsOf(join(dir, 'cli', 'latest.json')));
    const { out: _o1, name: _n1, ...ca } = a.config;
    const { out: _o2, name: _n2, ...cb } = b.config;
    expect(ca).toEqual(cb);
    expect(a.config.lr).toBe(TRAIN.lr.default);

    expect(events[0].type).toBe('info');
    expect(events[0].message).toMatch(/^training: gru 2x256, .*budget 4 steps; saving to /);
    expect(events.filter((e) => e.type === 'step').map((e) => e.step)).toEqual([1, 2, 3, 4]);
    expect(events.filter((e) => e.type === 'log').map((e) => e.message)).toEqual([expect.stringMatching(/^step 2: val \d\.\d{4} nats/), expect.stringMatching(/^step 4: val \d\.\d{4} nats/)]);
    expect(events.at(-1)).toMatchObject({ type: 'info', message: expect.stringMatching(/^done: step 4 /) });
  });

  it('validates options as the CLI does, and refuses a folder that holds a run', async () => {
    await expect(lib.train(join(dir, 'corpus.txt'), { hidden: 0 })).rejects.toThrow(/^invalid option: hidden 0: must be between 1 and 16384$/);
    await expect(lib.train(join(dir, 'corpus.txt'), { hiden: 8 } as never)).rejects.toThrow(/^invalid option: unknown option hiden$/);
    await expect(lib.train(join(dir, 'corpus.txt'), { hidden: 8, layers: 1, batch: 2, seq: 8, steps: 1, backend: 'js', out: join(dir, 'cli') })).rejects.toThrow(
      /^cannot train into .*cli: it already holds a run \(latest\.json at step 4/,
    );
  });

  it('an AbortSignal stops after the current step, with a save', async () => {
    const ctl = new AbortController();
    const path = await lib.train(join(dir, 'corpus.txt'), {
      hidden: 8, layers: 1, batch: 2, seq: 8, steps: 1_000_000, backend: 'js', out: join(dir, 'abort'),
      onProgress: (e) => {
        if (e.type === 'step' && e.step === 3) ctl.abort();
      },
      signal: ctl.signal,
    });
    expect(loadCheckpoint(path).progress.step).toBe(3);
  });
});
