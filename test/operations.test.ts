/**
 * Operations on a running training (real binary): `kill -USR1 PID` writes a checkpoint now and training goes on;
 * --keep N leaves the newest N numbered snapshots beside latest.json and best.json.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCheckpoint } from '../src/checkpoint/io.js';
import { runCli, smallText, tempDir } from './helpers/cli.js';

const TINY = ['--hidden', '16', '--layers', '1', '--batch', '8', '--seq', '16', '--backend', 'js', '--no-color'];

describe('train: operations (real binary)', () => {
  let dir: string;
  let cleanup: () => void;
  beforeAll(() => {
    ({ dir, cleanup } = tempDir({ 'corpus.txt': smallText() }));
  });
  afterAll(() => cleanup());

  it('kill -USR1 saves a checkpoint at once and training goes on (to Ctrl-C here)', async () => {
    const saves: number[] = [];
    const r = await runCli(['train', 'corpus.txt', ...TINY, '--time', '60s', '--save-every', '0', '--eval-every', '0', '--out', 'run'], {
      cwd: dir,
      timeoutMs: 60_000,
      onSpawn: (child) => {
        let err = '';
        let sent = 0;
        child.stderr!.on('data', (d: Buffer) => {
          err += d.toString();
          // the first USR1 once training runs; the second after the first save was reported; then Ctrl-C
          if (sent === 0 && /^training: /m.test(err)) {
            sent = 1;
            setTimeout(() => child.kill('SIGUSR1'), 300);
          } else if (sent === 1 && /\(SIGUSR1\)/.test(err)) {
            sent = 2;
            saves.push(loadCheckpoint(join(dir, 'run', 'latest.json')).progress.step);
            setTimeout(() => child.kill('SIGUSR1'), 300);
          } else if (sent === 2 && (err.match(/\(SIGUSR1\)/g) ?? []).length === 2) {
            sent = 3;
            saves.push(loadCheckpoint(join(dir, 'run', 'latest.json')).progress.step);
            child.kill('SIGINT');
          }
        });
      },
    });
    expect(r.code).toBe(130);
    const lines = r.stderr.split('\n').filter((l) => l.includes('(SIGUSR1)'));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^saved run\/latest\.json at step \d+ \(SIGUSR1\); training goes on$/);
    expect(saves[0]).toBeGreaterThan(0);
    expect(saves[1]).toBeGreaterThan(saves[0]); // it trained on between the two
    expect(loadCheckpoint(join(dir, 'run', 'latest.json')).progress.step).toBeGreaterThanOrEqual(saves[1]);
    expect(r.stderr).not.toMatch(/Debugger|inspector/i); // Node's default SIGUSR1 action did not run
  });

  it('--keep 2 keeps the newest two numbered snapshots, each a loadable checkpoint of its step', async () => {
    const r = await runCli(['train', 'corpus.txt', ...TINY, '--steps', '30', '--save-every', '5', '--eval-every', '10', '--keep', '2', '--out', 'kept', '-q'], { cwd: dir });
    expect(r.code).toBe(0);
    const files = readdirSync(join(dir, 'kept')).filter((f) => f.endsWith('.json')).sort();
    expect(files).toEqual(['best.json', 'latest.json', 'step-00000025.json', 'step-00000030.json']);
    expect(loadCheckpoint(join(dir, 'kept', 'step-00000025.json')).progress.step).toBe(25);
    expect(loadCheckpoint(join(dir, 'kept', 'step-00000030.json')).progress.step).toBe(30);
    // without --keep there are none
    const plain = await runCli(['train', 'corpus.txt', ...TINY, '--steps', '10', '--save-every', '5', '--out', 'plain', '-q'], { cwd: dir });
    expect(plain.code).toBe(0);
    expect(readdirSync(join(dir, 'plain')).some((f) => f.startsWith('step-'))).toBe(false);
    expect(existsSync(join(dir, 'plain', 'latest.json'))).toBe(true);
  });
});
