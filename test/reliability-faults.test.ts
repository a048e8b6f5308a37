/**
 * Issue 6, interruption and faults, on the real binary: Ctrl-C / SIGTERM save and exit 130 and resuming continues
 * exactly; SIGKILL at random moments while checkpoints are being written never leaves an unloadable latest.json or
 * best.json; a full disk (a small tmpfs in a private mount namespace) or a permission error while saving keeps the
 * previous checkpoint and says so; a diverging run stops with a message and keeps the last good checkpoint; a pipe
 * closed early ends `sample` quietly, and a reader that stops reading stalls it instead of growing its memory.
 * Cases that need root powers this machine does not grant are skipped with the reason.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, statSync, existsSync, mkdirSync, readdirSync, readFileSync, openSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadCheckpoint } from '../src/checkpoint/io.js';
import { runShell, smallText } from './helpers/cli.js';
import {
  caseFolders,
  expectOneLineFailure,
  recordRow,
  runCharnn,
  startCharnn,
  unprivileged,
  waitUntil,
  whyNoChattr,
  whyNoTmpfs,
} from './helpers/reliability.js';

const TINY = ['--hidden', '8', '--layers', '1', '--batch', '2', '--seq', '8', '--backend', 'js'];
/** big enough that writing a checkpoint (encode, write, fsync) takes a good part of each step */
const MEDIUM = ['--hidden', '96', '--layers', '2', '--batch', '2', '--seq', '8', '--backend', 'js'];

const corpus = smallText(400);
const folders = caseFolders(corpus);
const caseDir = folders.caseDir;
const tmpFiles = (dir: string) => (existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.tmp')) : []);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---- signals ---------------------------------------------------------------------------------------------------

describe.concurrent('interruption', () => {
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    it(`${sig} during training saves, exits 130, and resuming continues exactly`, async () => {
      const dir = caseDir();
      // a constant rate: resumed with --steps 20, a cosine would decay anew over those 20 (a new plan)
      const common = ['corpus.txt', ...TINY, '--eval-every', '0', '--save-every', '0', '--seed', '7', '--lr-schedule', 'constant'];
      const run = startCharnn(['train', ...common, '--steps', '1000000', '--out', 'a'], { cwd: dir });
      await run.waitForStderr(/^step 1 /m);
      await sleep(150 + Math.random() * 300);
      run.kill(sig);
      const r = await run.done;
      recordRow('interruption', `${sig} during training`, r);
      expect(r.code, r.stderr).toBe(130);
      expect(r.stderr).toMatch(sig === 'SIGINT' ? /charnn: warning: Ctrl-C: finishing this step and saving/ : /charnn: warning: SIGTERM: finishing this step and saving/);
      const m = /interrupted: step (\d+)/.exec(r.stderr);
      expect(m, r.stderr).not.toBeNull();
      const k = Number(m![1]);
      expect(r.stdout.trim()).toBe(join('a', 'latest.json'));
      const saved = loadCheckpoint(join(dir, 'a', 'latest.json'));
      expect(saved.progress.step).toBe(k);

      // resume for 20 more steps, and compare with one uninterrupted run of k + 20 steps
      const [resumed, straight] = await Promise.all([
        runCharnn(['train', 'corpus.txt', '--resume', join('a', 'latest.json'), '--steps', '20', '-q'], { cwd: dir }),
        runCharnn(['train', ...common, '--steps', String(k + 20), '--out', 'b', '-q'], { cwd: dir }),
      ]);
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(straight.code, straight.stderr).toBe(0);
      const x = loadCheckpoint(join(dir, 'a', 'latest.json'));
      const y = loadCheckpoint(join(dir, 'b', 'latest.json'));
      expect(x.progress.step).toBe(k + 20);
      expect(y.progress.step).toBe(k + 20);
      // weights, optimizer moments and carried state, bit for bit (as base64 of their float32 bytes)
      const data = (f: string) => {
        const d = JSON.parse(readFileSync(join(dir, f, 'latest.json'), 'utf8'));
        return { tensors: d.tensors, optimizer: d.optimizer, state: d.state };
      };
      expect(data('a')).toEqual(data('b'));
      expect(x.rng).toEqual(y.rng);
      expect(x.progress.lossHistory).toEqual(y.progress.lossHistory);
    });
  }

  it('a second Ctrl-C quits at once and still leaves no partial checkpoint', async () => {
    const dir = caseDir();
    const run = startCharnn(['train', 'corpus.txt', ...MEDIUM, '--steps', '1000000', '--save-every', '1', '--eval-every', '0', '--out', 'run'], { cwd: dir });
    await run.waitForStderr(/^step 1 /m);
    run.kill('SIGINT');
    await run.waitForStderr(/Ctrl-C: finishing this step/);
    run.kill('SIGINT');
    const r = await run.done;
    recordRow('interruption', 'second Ctrl-C', r, 'killed by the second SIGINT, or exited 130 if the save had finished');
    expect(r.signal === 'SIGINT' || r.code === 130, `code ${r.code} signal ${r.signal}`).toBe(true);
    expect(loadCheckpoint(join(dir, 'run', 'latest.json')).progress.step).toBeGreaterThanOrEqual(1);
  });
});

// ---- SIGKILL while saving ------------------------------------------------------------------------------------------

describe('SIGKILL during checkpoint writes', () => {
  it('leaves latest.json and best.json loadable, kill after kill (resuming from what is left each time)', async () => {
    const dir = caseDir();
    const out = join(dir, 'run');
    const latest = join(out, 'latest.json');
    const best = join(out, 'best.json');
    const KILLS = 12;
    let midWrite = 0; // kills that caught a temporary file being written
    let lastStep = 0;
    for (let i = 0; i < KILLS; i++) {
      const args = existsSync(latest)
        ? ['train', 'corpus.txt', '--resume', join('run', 'latest.json'), '--steps', '1000000', '--save-every', '1', '--eval-every', '3']
        : ['train', 'corpus.txt', ...MEDIUM, '--steps', '1000000', '--save-every', '1', '--eval-every', '3', '--out', 'run'];
      const prevIno = existsSync(latest) ? statSync(latest).ino : -1;
      const run = startCharnn(args, { cwd: dir });
      // wait until this run has saved once (the atomic rename gives latest.json a new inode)
      await waitUntil(() => existsSync(latest) && statSync(latest).ino !== prevIno, 30_000, 2);
      if (i % 2 === 0) await sleep(Math.random() * 40); // at a random moment
      else await waitUntil(() => tmpFiles(out).length > 0, 30_000, 1); // the moment a save starts writing
      run.kill('SIGKILL');
      const r = await run.done;
      expect(r.signal).toBe('SIGKILL');
      if (tmpFiles(out).length > 0) midWrite++;
      const l = loadCheckpoint(latest); // throws if torn or corrupt
      expect(l.progress.step).toBeGreaterThan(lastStep);
      lastStep = l.progress.step;
      if (existsSync(best)) expect(loadCheckpoint(best).progress.bestValLoss).not.toBeNull();
    }
    recordRow('interruption', `SIGKILL during saves (${KILLS} kills)`, { code: null, signal: 'SIGKILL', stderr: '' }, `${midWrite} kills hit a write in progress; every latest.json/best.json loaded`);
    // the kills did land during writes (the temporary file of the atomic save was there)
    expect(midWrite).toBeGreaterThan(0);
    // a later run cleans up the dead writers' temporary files
    const r = await runCharnn(['train', 'corpus.txt', '--resume', join('run', 'latest.json'), '--steps', '1', '-q'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(tmpFiles(out)).toEqual([]);
  }, 180_000); // 13 sequential runs: measured 53 s on a loaded 2-core machine (load average 23) before and after the run-folder lock
});

/** progress.step of a checkpoint, or -1 while it cannot be read (being replaced) */
function loadStep(path: string): number {
  try {
    return loadCheckpoint(path).progress.step;
  } catch {
    return -1;
  }
}

// ---- faults while saving ---------------------------------------------------------------------------------------

describe.concurrent('faults while saving', () => {
  const noTmpfs = whyNoTmpfs();
  it.skipIf(noTmpfs !== null)(`a full disk (ENOSPC) keeps the previous checkpoint and says so${noTmpfs ? ` (skipped: ${noTmpfs})` : ''}`, async () => {
    const dir = caseDir();
    const mnt = join(dir, 'mnt');
    mkdirSync(mnt);
    // a private mount namespace with a 4 MB tmpfs on mnt; when charnn ends, its output is copied out to after/
    const script = 'mount -t tmpfs -o size=4m tmpfs "$0" || exit 99; "$@"; s=$?; cp -r "$0/run" "$0/../after"; exit $s';
    const run = startCharnn(['train', 'corpus.txt', ...TINY, '--steps', '1000000', '--save-every', '1', '--eval-every', '0', '--out', join(mnt, 'run'), '-q'], {
      cwd: dir,
      wrap: ['unshare', '-m', '--propagation', 'private', 'sh', '-c', script, mnt],
    });
    // the namespace's view of the folder, from outside
    const inside = `/proc/${run.pid}/root${join(mnt, 'run')}`;
    await waitUntil(() => existsSync(join(inside, 'latest.json')), 30_000, 5);
    fill(join(inside, 'filler'));
    const r = await run.done;
    recordRow('faults', 'disk full (ENOSPC) while saving', r);
    expectOneLineFailure(r, 1, /^charnn: cannot save checkpoint .*latest\.json: the disk is full \(ENOSPC\) \(free some space; the previous checkpoint is intact\)$/);
    const after = join(dir, 'after');
    expect(loadCheckpoint(join(after, 'latest.json')).progress.step).toBeGreaterThanOrEqual(1);
    expect(tmpFiles(after), 'the failed temporary file is removed').toEqual([]);
  });

  const noChattr = whyNoChattr(tmpdir());
  it.skipIf(noChattr !== null)(`an immutable output folder (EPERM) while saving keeps the previous checkpoint${noChattr ? ` (skipped: ${noChattr})` : ''}`, async () => {
    const dir = caseDir();
    const out = join(dir, 'run');
    const run = startCharnn(['train', 'corpus.txt', ...TINY, '--steps', '1000000', '--save-every', '1', '--eval-every', '0', '--out', 'run', '-q'], { cwd: dir });
    try {
      await waitUntil(() => existsSync(join(out, 'latest.json')), 30_000, 5);
      expect(spawnSync('chattr', ['+i', out]).status).toBe(0);
      const r = await run.done;
      recordRow('faults', 'permission error (immutable folder) while saving', r);
      expectOneLineFailure(r, 1, /^charnn: cannot save checkpoint \S*run\/latest\.json: operation not permitted \(EPERM\) \(choose a writable --out folder; the previous checkpoint is intact\)$/);
    } finally {
      spawnSync('chattr', ['-i', out]);
      run.kill('SIGKILL');
    }
    expect(loadCheckpoint(join(out, 'latest.json')).progress.step).toBeGreaterThanOrEqual(1);
    // a temporary file opened before the folder froze could not be removed from it; the next save removes it
    const r = await runCharnn(['train', 'corpus.txt', '--resume', join('run', 'latest.json'), '--steps', '1', '-q'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(tmpFiles(out)).toEqual([]);
  });

  const nobody = unprivileged();
  it.skipIf(nobody === null)('a folder made read-only for the user (EACCES) while saving keeps the previous checkpoint', async () => {
    const dir = caseDir();
    const out = join(dir, 'run');
    mkdirSync(out, { mode: 0o777 });
    chmodSync(out, 0o777);
    const run = startCharnn(['train', 'corpus.txt', ...TINY, '--steps', '1000000', '--save-every', '1', '--eval-every', '0', '--out', 'run', '-q'], { cwd: dir, ...nobody! });
    await waitUntil(() => existsSync(join(out, 'latest.json')), 30_000, 5);
    chmodSync(out, 0o555);
    const r = await run.done;
    recordRow('faults', 'permission error (EACCES) while saving', r);
    expectOneLineFailure(r, 1, /^charnn: cannot save checkpoint \S*run\/latest\.json: permission denied \(EACCES\) \(choose a writable --out folder; the previous checkpoint is intact\)$/);
    chmodSync(out, 0o777);
    expect(loadCheckpoint(join(out, 'latest.json')).progress.step).toBeGreaterThanOrEqual(1);
    // a temporary file opened before the folder was locked could not be removed from it; the next save removes it
    const again = await runCharnn(['train', 'corpus.txt', '--resume', join('run', 'latest.json'), '--steps', '1', '-q'], { cwd: dir });
    expect(again.code, again.stderr).toBe(0);
    expect(tmpFiles(out)).toEqual([]);
  });

  it('an exploding loss stops training with a message and keeps the last good checkpoint', async () => {
    const dir = caseDir();
    const r = await runCharnn(['train', 'corpus.txt', ...TINY, '--lr', '1e6', '--clip', '0', '--steps', '50', '--on-diverge', 'stop', '--save-every', '1', '--eval-every', '0', '--out', 'run', '-q'], { cwd: dir });
    recordRow('faults', 'exploding loss (--lr 1e6 --clip 0)', r);
    expectOneLineFailure(r, 1, /^charnn: training stopped at step (\d+): the loss .* (exceeds 3 times the first loss|is NaN).* \(the last good checkpoint is run\/latest\.json, step (\d+)\)$/);
    const [, failed, kept] = /step (\d+):.*step (\d+)\)$/.exec(r.errLines[0])!;
    const c = loadCheckpoint(join(dir, 'run', 'latest.json'));
    expect(c.progress.step).toBe(Number(kept));
    expect(Number(failed)).toBe(Number(kept) + 1);
    for (const t of c.tensors) expect(t.data.every(Number.isFinite), t.name).toBe(true);
  });

  it('a NaN loss before any save says that no checkpoint was written', async () => {
    const dir = caseDir();
    const r = await runCharnn(['train', 'corpus.txt', ...TINY, '--lr', '1e30', '--clip', '0', '--steps', '50', '--on-diverge', 'stop', '--eval-every', '0', '--out', 'run', '-q'], { cwd: dir });
    recordRow('faults', 'diverging before the first save (--lr 1e30)', r);
    expectOneLineFailure(r, 1, /^charnn: training stopped at step \d+: .*\(no checkpoint was written\)$/);
    expect(existsSync(join(dir, 'run', 'latest.json'))).toBe(false);
  });
});

/** Writes zeros to `path` until the file system is full. */
function fill(path: string): void {
  const fd = openSync(path, 'w');
  const block = Buffer.alloc(64 * 1024);
  try {
    for (;;) writeSync(fd, block);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
    // the last blocks that fit
    try {
      for (;;) writeSync(fd, block, 0, 512);
    } catch {
      /* full */
    }
  } finally {
    closeSync(fd);
  }
}

// ---- pipelines -----------------------------------------------------------------------------------------------------

describe.concurrent('pipelines', () => {
  let ckpt: string;
  beforeAll(async () => {
    const dir = caseDir();
    const r = await runCharnn(['train', 'corpus.txt', ...TINY, '--steps', '3', '--eval-every', '0', '--out', 'run', '-q'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    ckpt = join(dir, 'run', 'latest.json');
  });

  it('sample --length 1000000 | head -c 10 exits 0 quickly with nothing on stderr', async () => {
    const t0 = Date.now();
    const r = await runShell(`$CHARNN sample "${ckpt}" --length 1000000 --seed 3 | head -c 10; echo " status=\${PIPESTATUS[0]}"`, folders.root());
    const ms = Date.now() - t0;
    recordRow('pipelines', 'sample --length 1000000 | head -c 10', { code: Number(/status=(\d+)/.exec(r.stdout)?.[1]), stderr: r.stderr }, `${ms} ms`);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^[\s\S]{10} status=0\n$/);
    // a million characters from this model take far longer than this; ending early is what makes it quick
    expect(ms).toBeLessThan(15_000);
  });

  it('train | true (the reader is gone before the path is printed) exits 0 with its checkpoint saved', async () => {
    const dir = caseDir();
    const r = await runShell(`$CHARNN train corpus.txt ${TINY.join(' ')} --steps 2 --eval-every 0 --out run -q | true; echo "status=\${PIPESTATUS[0]}"`, dir);
    recordRow('pipelines', 'train | true', { code: Number(/status=(\d+)/.exec(r.stdout)?.[1]), stderr: r.stderr });
    expect(r.stdout).toBe('status=0\n');
    expect(r.stderr).toBe('');
    expect(loadCheckpoint(join(dir, 'run', 'latest.json')).progress.step).toBe(2);
  });

  const noFull = existsSync('/dev/full') ? null : 'no /dev/full here';
  for (const cmd of ['info', 'sample', 'eval'] as const) {
    it.skipIf(noFull !== null)(`${cmd} > /dev/full: one line, exit 1${noFull ? ` (skipped: ${noFull})` : ''}`, async () => {
      const args = cmd === 'info' ? [ckpt] : cmd === 'sample' ? [ckpt, '-n', '200000', '--seed', '1'] : [ckpt, join(folders.root(), 'corpus.txt')];
      const r = await runShell(`$CHARNN ${cmd} ${args.map((a) => `"${a}"`).join(' ')} > /dev/full`, folders.root());
      recordRow('pipelines', `${cmd} > /dev/full`, r);
      const lines = r.stderr.split('\n').filter(Boolean);
      expect(r.code).toBe(1);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toBe('charnn: cannot write to stdout: no space left on device (ENOSPC)');
    });
  }

  it('a reader that stops reading stalls sample (no CPU, no memory growth) and it carries on afterwards', async () => {
    const run = startCharnn(['sample', ckpt, '--forever', '--seed', '4'], { cwd: folders.root(), stdoutPipe: true });
    const stdout = run.child.stdout!;
    // the first text shows start-up is over; from then on read nothing, so the pipe fills up
    await new Promise((r) => stdout.once('data', r));
    stdout.pause();
    // once the pipe is full and start-up is over, the process should be idle: wait for that (bounded)
    let a = procStats(run.pid);
    for (let i = 0; i < 40; i++) {
      await sleep(250);
      const now = procStats(run.pid);
      const idle = now.cpuSec - a.cpuSec < 0.02;
      a = now;
      if (idle) break;
    }
    await sleep(1500);
    const b = procStats(run.pid);
    const cpu = b.cpuSec - a.cpuSec;
    const growth = b.rssBytes - a.rssBytes;
    recordRow('pipelines', 'slow reader (sample --forever, stdout not read)', { code: null, stderr: run.stderr }, `${cpu.toFixed(2)} s CPU and ${(growth / 1e6).toFixed(1)} MB RSS growth over 1.5 s of stall`);
    expect(cpu, 'waits for the reader instead of generating').toBeLessThan(0.3);
    expect(growth, 'memory does not grow while the reader is stalled').toBeLessThan(8e6);
    // reading again lets it go on
    let got = 0;
    stdout.on('data', (d: Buffer) => (got += d.length));
    stdout.resume();
    await waitUntil(() => got > 200_000, 20_000);
    run.kill('SIGKILL');
    await run.done;
    expect(run.stderr).toBe('');
  });
});

/** CPU seconds (user + system) and resident bytes of a live process, from /proc. */
function procStats(pid: number): { cpuSec: number; rssBytes: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15 of stat)
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)![1]);
  return { cpuSec: ticks / 100, rssBytes: rssKb * 1024 };
}
