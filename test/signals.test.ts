/**
 * Signals on the long-running commands (real binary): SIGUSR1, whose default action in Node opens the inspector on
 * 127.0.0.1:9229 (a debugger any local user can run code in), must open nothing: `train` saves a checkpoint (its
 * documented action), `serve` and `sample --forever` ignore it. SIGHUP ends `serve` as SIGTERM does.
 * Each run: the listening TCP sockets (/proc/net/tcp{,6}) before and after the signal, and stderr.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, cleanEnv, requireBuild, ROOT, smallText, tempDir } from './helpers/cli.js';
import { startServer } from './helpers/serve.js';

const CKPT = join(ROOT, 'checkpoints', 'pretrained', 'tinyshakespeare.json');
const TINY = ['--hidden', '16', '--layers', '1', '--batch', '8', '--seq', '16', '--backend', 'js', '--no-color'];

/** Local ports in the LISTEN state (state 0A), from /proc/net/tcp and tcp6; empty where /proc is absent. */
function listeningPorts(): Set<number> {
  const ports = new Set<number>();
  for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (!existsSync(f)) continue;
    for (const line of readFileSync(f, 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length > 3 && cols[3] === '0A') ports.add(parseInt(cols[1].split(':').pop()!, 16));
    }
  }
  return ports;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** USR1 to a running child: no new listening port 9229 (nor any other new one of the inspector's), no "Debugger". */
async function usr1OpensNothing(child: ChildProcess, stderr: () => string): Promise<void> {
  const before = listeningPorts();
  child.kill('SIGUSR1');
  await sleep(700);
  const after = listeningPorts();
  expect(child.exitCode).toBeNull(); // still running
  expect(after.has(9229) && !before.has(9229)).toBe(false);
  expect(stderr()).not.toMatch(/Debugger listening|inspector/i);
}

/** Spawn the binary and wait until its stderr (or stdout) matches `ready`. */
function spawnUntil(args: string[], cwd: string, ready: RegExp): Promise<{ child: ChildProcess; stderr: () => string; exited: Promise<number | null> }> {
  requireBuild();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    let out = 0;
    let done = false;
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const check = () => {
      if (!done && (ready.test(err) || (ready.source === 'stdout' && out > 0))) {
        done = true;
        resolve({ child, stderr: () => err, exited });
      }
    };
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      err += d;
      check();
    });
    child.stdout!.on('data', (d: Buffer) => {
      out += d.length;
      check();
    });
    exited.then((code) => {
      if (!done) reject(new Error(`charnn ${args[0]} exited (${code}) early; stderr: ${err}`));
    });
    setTimeout(() => {
      if (!done) {
        child.kill('SIGKILL');
        reject(new Error(`charnn ${args[0]} not ready in time; stderr: ${err}`));
      }
    }, 30_000);
  });
}

describe('signals (real binary)', () => {
  let dir: string;
  let cleanup: () => void;
  beforeAll(() => {
    ({ dir, cleanup } = tempDir({ 'corpus.txt': smallText() }));
  });
  afterAll(() => cleanup());

  it('serve: SIGUSR1 opens no port and the server goes on; SIGHUP stops it gracefully (exit 0)', async () => {
    const s = await startServer([CKPT], dir);
    await usr1OpensNothing(s.child, s.stderr);
    const models = await fetch(`${s.url}v1/models`.replace(/([^:])\/\/v1/, '$1/v1'));
    expect(models.status).toBe(200);
    const r = await s.stop('SIGHUP');
    expect(r.code).toBe(0);
    expect(s.stderr()).toMatch(/SIGHUP: stopping/);
  }, 60_000);

  it('sample --forever: SIGUSR1 opens no port and sampling goes on', async () => {
    const p = await spawnUntil(['sample', CKPT, '--forever', '--backend', 'js'], dir, /stdout/);
    await usr1OpensNothing(p.child, p.stderr);
    p.child.kill('SIGTERM');
    await p.exited;
  }, 60_000);

  it('train: SIGUSR1 saves (its documented action) and opens no port', async () => {
    const p = await spawnUntil(['train', 'corpus.txt', ...TINY, '--time', '60s', '--save-every', '0', '--eval-every', '0', '--out', 'run'], dir, /^training: /m);
    await usr1OpensNothing(p.child, p.stderr);
    p.child.kill('SIGINT');
    expect(await p.exited).toBe(130);
    expect(p.stderr()).toMatch(/\(SIGUSR1\); training goes on/);
  }, 60_000);
});
