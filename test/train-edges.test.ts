/**
 * Issue 20's training items, on the real binary: `--resume --force` on another corpus restarts the data and the
 * best-validation tracking (and a corpus too small for the run's fixed layout gets a hint resume can follow);
 * `--steps 0` is the same as no step budget (the 5-minute default stays; only `--time 0` trains until Ctrl-C);
 * the checkpoint's config records the budgets that applied and the real out/name; "1 step"; a 9-character corpus
 * gets hints that are true; previews show their step; the last progress line shows the end-of-run validation.
 */
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCheckpoint } from '../src/checkpoint/io.js';
import { smallText, tempDir } from './helpers/cli.js';
import { expectOneLineFailure, runCharnn, startCharnn } from './helpers/reliability.js';

const TINY = ['--hidden', '8', '--layers', '1', '--batch', '2', '--seq', '8', '--backend', 'js'];

let dir: string;
let cleanup: () => void;
beforeAll(() => {
  ({ dir, cleanup } = tempDir({ 'a.txt': smallText(400), 'b.txt': [...smallText(100)].reverse().join('').slice(0, 2000), 'nine.txt': 'abcdefghi' }));
});
afterAll(() => cleanup());

describe.concurrent('train: issue 20', () => {
  it('--resume --force on another corpus restarts the data at 0 and best-validation tracking, with one warning', async () => {
    // 60 steps of batch 16 x seq 8 put the data position beyond the 14 windows of b.txt (1,800 training characters)
    const a = await runCharnn(['train', 'a.txt', ...TINY, '--batch', '16', '--steps', '60', '--eval-every', '30', '--out', 'force', '-q'], { cwd: dir });
    expect(a.code, a.stderr).toBe(0);
    const before = loadCheckpoint(join(dir, 'force', 'latest.json'));
    expect(before.progress.position).toBe(60);
    const r = await runCharnn(['train', 'b.txt', '--resume', join('force', 'latest.json'), '--force', '--steps', '3', '--eval-every', '0'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const warnings = r.errLines.filter((l) => l.startsWith('charnn: '));
    expect(warnings).toEqual([
      "charnn: warning: --force: training on b.txt instead of the checkpoint's a.txt: the data restarts at its beginning, from the zero state, and best.json will be the best validation loss on this corpus (the old best was measured on another text)",
    ]);
    const after = loadCheckpoint(join(dir, 'force', 'latest.json'));
    expect(after.progress.step).toBe(63);
    expect(after.progress.position).toBe(3); // three windows from the start of b.txt
    expect(after.progress.bestValStep).toBe(63); // the old best (another text) was forgotten: the first measurement is the best
    expect(after.corpus!.source).toBe('b.txt');
    const best = loadCheckpoint(join(dir, 'force', 'best.json'));
    expect(best.progress.step).toBe(63);
  });

  it('a corpus too small for a resumed run\'s layout gets a hint that resume can follow', async () => {
    const a = await runCharnn(['train', 'a.txt', ...TINY, '--batch', '16', '--steps', '2', '--out', 'small', '-q'], { cwd: dir });
    expect(a.code, a.stderr).toBe(0);
    const r = await runCharnn(['train', 'nine.txt', '--resume', join('small', 'latest.json'), '--force', '--steps', '1'], { cwd: dir });
    expectOneLineFailure(r, 1, /^charnn: cannot set up training: the training split is too small for batch 16 and sequence length 8: it has 8 characters, one window needs 129 \(a resumed run keeps its --batch and --seq: use a larger corpus, or start a new run\)$/);
  });

  it('a 9-character corpus: each hint is true, and following them trains', async () => {
    const r = await runCharnn(['train', 'nine.txt', '--backend', 'js'], { cwd: dir });
    expectOneLineFailure(r, 1, /it has 8 characters, one window needs 2049 \(reduce --batch and --seq: batch x seq must be at most 7, e.g\. --batch 1 --seq 7\)$/);
    const r2 = await runCharnn(['train', 'nine.txt', '--backend', 'js', '--batch', '1', '--seq', '7'], { cwd: dir });
    expectOneLineFailure(r2, 1, /the validation split is too small for batch 1 and sequence length 7: it has 1 character, one window needs 8 \(the validation split needs at least 2 characters; use a larger corpus; or give a larger validation fraction, or 0 for none\)$/);
    const r3 = await runCharnn(['train', 'nine.txt', '--backend', 'js', '--batch', '1', '--seq', '7', '--val-frac', '0', '--hidden', '8', '--steps', '2', '--out', 'nine', '-q'], { cwd: dir });
    expect(r3.code, r3.stderr).toBe(0);
  });

  it('--steps 0 keeps the 5-minute default; --time 0 trains until Ctrl-C; "1 step"', async () => {
    const budgetOf = async (args: string[]) => {
      const run = startCharnn(['train', 'a.txt', ...TINY, ...args], { cwd: dir });
      await run.waitForStderr(/^step \d+ /m);
      run.kill('SIGINT');
      const r = await run.done;
      expect(r.code, r.stderr).toBe(130);
      return /; budget ([^;]+); saving to/.exec(r.stderr)![1];
    };
    const [zero, time0, both] = await Promise.all([
      budgetOf(['--steps', '0', '--out', 'z1']),
      budgetOf(['--time', '0', '--out', 'z2']),
      budgetOf(['--steps', '0', '--epochs', '0', '--time', '0', '--out', 'z3']),
    ]);
    expect(zero).toBe('5m00s');
    expect(time0).toBe('none (until Ctrl-C)');
    expect(both).toBe('none (until Ctrl-C)');
    const one = await runCharnn(['train', 'a.txt', ...TINY, '--steps', '1', '--out', 'one'], { cwd: dir });
    expect(one.stderr).toMatch(/; budget 1 step; saving to one\n/);
  });

  it('the config records the budgets that applied and the real out and name; previews and the last progress line say their step and val', async () => {
    const r = await runCharnn(['train', 'a.txt', ...TINY, '--steps', '6', '--eval-every', '0', '--sample-every', '3', '--sample-length', '20'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const c = loadCheckpoint(join(dir, r.stdout.trim()));
    const out = join(dir, r.stdout.trim(), '..');
    expect(c.config).toMatchObject({ steps: 6, epochs: 0, time: 0, untilMs: 0, out: join(out), name: basename(out) });
    expect(c.config.name).toMatch(/^a-gru1x8-\d{8}-\d{6}$/);
    expect(r.stderr).toMatch(/^--- sample at step 3 ---$/m);
    expect(r.stderr).toMatch(/^--- sample at step 6 ---$/m);
    const lines = r.errLines.filter((l) => /^step \d+ \| /.test(l));
    expect(lines.at(-1)).toMatch(/^step 6 \| epoch \d+ \| loss \d\.\d{4} \| val \d\.\d{4} \| /);
    const timed = await runCharnn(['train', 'a.txt', ...TINY, '--time', '1s', '--out', 'timed', '-q'], { cwd: dir });
    expect(loadCheckpoint(join(dir, 'timed', 'latest.json')).config).toMatchObject({ steps: 0, epochs: 0, time: 1, name: 'timed' });
  });
});
