/**
 * Issue 13 (and issue 20's folder items), on the real binary: a run folder keeps what it holds. A new run into a
 * folder with a run is refused and changes nothing; --overwrite replaces it; default names never collide; one
 * writer per folder (a second train is refused naming the holder; a lock left by kill -9 is taken over with a
 * warning); folders that cannot hold a run (/proc) are refused at once; dead writers' temporaries are removed.
 * With CHARNN_RELIABILITY_TABLE set, each case adds a row to the table of docs/reliability.md (scripts/reliability-table.ts).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCheckpoint } from '../src/checkpoint/io.js';
import { createUniqueDir } from '../src/commands/train/out-dir.js';
import { smallText } from './helpers/cli.js';
import { caseFolders, expectOneLineFailure, listFiles, recordRow, runCharnn, startCharnn, waitUntil } from './helpers/reliability.js';

const waitForFile = (p: string) => waitUntil(() => existsSync(p), 30_000, 5);

const TINY = ['--hidden', '8', '--layers', '1', '--batch', '2', '--seq', '8', '--backend', 'js'];
const corpus = smallText(200);

const { caseDir } = caseFolders(corpus);

/** Every file under dir with its bytes and modification time, to show that nothing changed. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of listFiles(dir)) {
    if (f.endsWith('/')) continue;
    const p = join(dir, f);
    out[f] = `${statSync(p).mtimeMs} ${readFileSync(p).toString('base64')}`;
  }
  return out;
}

/** A finished run in dir/run: 30 steps, validated every 10. */
async function finishedRun(dir: string, out = 'run'): Promise<void> {
  const r = await runCharnn(['train', 'corpus.txt', ...TINY, '--steps', '30', '--eval-every', '10', '--out', out, '-q'], { cwd: dir });
  expect(r.code, r.stderr).toBe(0);
}

describe.concurrent('run folders keep what they hold', () => {
  it('a new run into a folder with a run is refused, naming what is there and the ways out; nothing changes', async () => {
    const dir = caseDir();
    await finishedRun(dir);
    const before = snapshot(join(dir, 'run'));
    const r = await runCharnn(['train', 'corpus.txt', ...TINY, '--steps', '5', '--out', 'run'], { cwd: dir });
    recordRow('run folders', 'new run into a folder that holds a run', r);
    expectOneLineFailure(r, 1, /^charnn: cannot train into run: it already holds a run \(latest\.json at step 30, best val \d\.\d{4} nats at step \d+\) \(continue it with --resume run\/latest\.json, replace it with --overwrite, or choose another --out or --name\)$/);
    expect(snapshot(join(dir, 'run'))).toEqual(before);
    // --name and --resume of a checkpoint from elsewhere into it are refused the same way
    await finishedRun(dir, join('checkpoints', 'mine'));
    const mine = snapshot(join(dir, 'checkpoints', 'mine'));
    const byName = await runCharnn(['train', 'corpus.txt', ...TINY, '--steps', '5', '--name', 'mine'], { cwd: dir });
    expectOneLineFailure(byName, 1, /cannot train into checkpoints\/mine: it already holds a run/);
    const resumedInto = await runCharnn(['train', 'corpus.txt', '--resume', join('checkpoints', 'mine', 'latest.json'), '--steps', '5', '--out', 'run'], { cwd: dir });
    expectOneLineFailure(resumedInto, 1, /cannot train into run: it already holds a run/);
    expect(snapshot(join(dir, 'run'))).toEqual(before);
    expect(snapshot(join(dir, 'checkpoints', 'mine'))).toEqual(mine);
  });

  it('--overwrite replaces the run: the old best.json goes with the first save', async () => {
    const dir = caseDir();
    await finishedRun(dir);
    expect(existsSync(join(dir, 'run', 'best.json'))).toBe(true);
    const r = await runCharnn(['train', 'corpus.txt', ...TINY, '--steps', '3', '--val-frac', '0', '--out', 'run', '--overwrite', '-q'], { cwd: dir });
    recordRow('run folders', 'the same with --overwrite', r, 'the folder now holds only the new run');
    expect(r.code, r.stderr).toBe(0);
    expect(loadCheckpoint(join(dir, 'run', 'latest.json')).progress.step).toBe(3);
    expect(readdirSync(join(dir, 'run')).sort()).toEqual(['latest.json', 'metrics.jsonl']); // no best.json of the old run, no lock; the new run's log
    expect(readFileSync(join(dir, 'run', 'metrics.jsonl'), 'utf8').match(/"event":"start"/g)).toHaveLength(1); // the old run's log started afresh
  });

  it('resuming in the run\'s own folder is not a replacement', async () => {
    const dir = caseDir();
    await finishedRun(dir);
    const r = await runCharnn(['train', 'corpus.txt', '--resume', join('run', 'latest.json'), '--steps', '5', '-q'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(loadCheckpoint(join(dir, 'run', 'latest.json')).progress.step).toBe(35);
  });

  it('default run names do not collide: runs started together get distinct folders', async () => {
    const dir = caseDir();
    const runs = await Promise.all(
      [0, 1, 2, 3].map(() => runCharnn(['train', 'corpus.txt', ...TINY, '--steps', '1', '--eval-every', '0', '-q'], { cwd: dir })),
    );
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    const paths = runs.map((r) => r.stdout.trim());
    expect(new Set(paths).size).toBe(4);
    for (const p of paths) expect(loadCheckpoint(join(dir, p)).progress.step).toBe(1);
    // the same second for sure: a taken name gets -2, -3
    const parent = join(dir, 'same');
    const a = createUniqueDir(parent, 'run', (p) => p);
    const b = createUniqueDir(parent, 'run', (p) => p);
    const c = createUniqueDir(parent, 'run', (p) => p);
    expect([a.dir, b.dir, c.dir]).toEqual([join(parent, 'run'), join(parent, 'run-2'), join(parent, 'run-3')]);
    expect([a.created, b.created]).toEqual([parent, join(parent, 'run-2')]);
  });
});

describe.concurrent('one writer per run folder', () => {
  it('a second train on a folder being trained, fresh or --resume, is refused naming the process; kill -9 leaves a stale lock that is taken over', async () => {
    const dir = caseDir();
    const first = startCharnn(['train', 'corpus.txt', ...TINY, '--steps', '1000000', '--save-every', '1', '--eval-every', '0', '--out', 'run'], { cwd: dir });
    await first.waitForStderr(/^step \d+ /m);
    const lock = JSON.parse(readFileSync(join(dir, 'run', '.charnn.lock'), 'utf8')) as { pid: number; host: string };
    expect(lock.pid).toBe(first.pid);
    const files = () => listFiles(join(dir, 'run')).filter((f) => !f.endsWith('.tmp')); // the writer's own temporaries come and go
    const before = files();
    const fresh = await runCharnn(['train', 'corpus.txt', ...TINY, '--steps', '5', '--out', 'run', '--overwrite'], { cwd: dir });
    recordRow('run folders', 'second train on a folder being trained', fresh);
    const holder = new RegExp(`^charnn: cannot train: another charnn train \\(pid ${first.pid} on ${lock.host}, since [^)]+\\) is writing to run \\(wait for it to finish, stop it, or choose another --out or --name\\)$`);
    expectOneLineFailure(fresh, 1, holder);
    const resumed = await runCharnn(['train', 'corpus.txt', '--resume', join('run', 'latest.json'), '--steps', '5'], { cwd: dir });
    recordRow('run folders', 'second train --resume of a run being trained', resumed);
    expectOneLineFailure(resumed, 1, holder);
    expect(files()).toEqual(before);
    // readers need no lock
    const info = await runCharnn(['info', join('run', 'latest.json')], { cwd: dir });
    expect(info.code, info.stderr).toBe(0);

    first.kill('SIGKILL');
    expect((await first.done).signal).toBe('SIGKILL');
    expect(existsSync(join(dir, 'run', '.charnn.lock'))).toBe(true);
    const after = await runCharnn(['train', 'corpus.txt', '--resume', join('run', 'latest.json'), '--steps', '2'], { cwd: dir });
    recordRow('run folders', 'train after kill -9 of the writer (stale lock)', after, 'taken over, exit 0');
    expect(after.code, after.stderr).toBe(0);
    expect(after.errLines.filter((l) => l.startsWith('charnn: '))).toEqual([
      `charnn: warning: run was locked by pid ${first.pid} on ${lock.host} (since ${(lock as unknown as { since: string }).since}), which no longer runs: taking the lock over`,
    ]);
    expect(existsSync(join(dir, 'run', '.charnn.lock')), 'released at the end').toBe(false);
  });

  it('two trains started together on one fresh folder: exactly one trains', async () => {
    const dir = caseDir();
    const args = ['train', 'corpus.txt', ...TINY, '--steps', '40', '--eval-every', '0', '--out', 'run', '-q'];
    const [a, b] = await Promise.all([runCharnn(args, { cwd: dir }), runCharnn(args, { cwd: dir })]);
    const codes = [a.code, b.code].sort();
    expect(codes, a.stderr + b.stderr).toEqual([0, 1]);
    const loser = a.code === 1 ? a : b;
    expect(loser.errLines).toHaveLength(1);
    expect(loser.errLines[0]).toMatch(/^charnn: cannot train(: another charnn train \(pid \d+ on .*\) is writing to run| into run: it already holds a run)/);
    expect(loadCheckpoint(join(dir, 'run', 'latest.json')).progress.step).toBe(40);
  });
});

describe.concurrent('unusable folders and leftovers', () => {
  it.skipIf(process.platform !== 'linux')('--out under /proc is refused at once (Node\'s recursive mkdir would spin there)', async () => {
    const dir = caseDir();
    const r = await runCharnn(['train', 'corpus.txt', ...TINY, '--steps', '1', '--out', '/proc/charnnx/run'], { cwd: dir, timeoutMs: 20_000 });
    recordRow('run folders', '--out /proc/charnnx', r);
    expectOneLineFailure(r, 1, /^charnn: cannot use output folder \/proc\/charnnx\/run: this file system does not allow new files or folders there \(choose a writable folder with --out\)$/);
    const proc = await runCharnn(['train', 'corpus.txt', ...TINY, '--steps', '1', '--out', '/proc'], { cwd: dir, timeoutMs: 20_000 });
    expect(proc.code).toBe(1);
    expect(proc.errLines).toHaveLength(1);
    expect(proc.errLines[0]).toMatch(/^charnn: cannot use output folder \/proc: /);
  });

  it('a save that fails on a folder turned into a file mid-run says so in one line', async () => {
    const dir = caseDir();
    const run = startCharnn(['train', 'corpus.txt', ...TINY, '--steps', '1000000', '--save-every', '1', '--eval-every', '0', '--out', 'run'], { cwd: dir });
    await waitForFile(join(dir, 'run', 'latest.json'));
    renameSync(join(dir, 'run'), join(dir, 'gone')); // atomic, unlike removing a folder the writer is writing in
    writeFileSync(join(dir, 'run'), 'in the way');
    const r = await run.done;
    recordRow('run folders', 'the folder replaced by a file while training', r);
    expect(r.code, r.stderr).toBe(1);
    const errs = r.errLines.filter((l) => l.startsWith('charnn: '));
    expect(errs).toHaveLength(1);
    // EEXIST when the save starts after the swap; ENOTDIR when the swap lands inside a save (the folder was seen,
    // then listed as a file): the same failure, caught at a different syscall
    expect(errs[0]).toMatch(/^charnn: cannot save checkpoint .*run\/latest\.json: (a file is in the way: the folder is a file now \(EEXIST\)|a part of the path is a file, not a folder \(ENOTDIR\)) \(choose another --out folder\)$/);
    expect(r.stderr).not.toMatch(/^\s+at /m);
  });

  it('a dead writer\'s temporary files (a SIGKILL mid-save) are removed by the next run into the folder', async () => {
    const dir = caseDir();
    await finishedRun(dir);
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const pid = Number(dead.stdout);
    for (const f of [`.latest.json.${pid}-k1ll3d.tmp`, `.best.json.${pid}-k1ll3d.tmp`, `.charnn.lock.${pid}.tmp`]) writeFileSync(join(dir, 'run', f), '');
    // no validation, so best.json is never written by this run: only the folder cleanup can remove its temporary
    const r = await runCharnn(['train', 'corpus.txt', '--resume', join('run', 'latest.json'), '--steps', '1', '--val-frac', '0.1', '--eval-every', '0', '-q'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(join(dir, 'run')).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});
