/**
 * The reliability tests' way of running the real binary, on top of helpers/cli.ts (BIN, cleanEnv, requireBuild):
 * a child that can be watched while it runs (wait for a stderr line, send a signal, read /proc), with stdin
 * closed or given, run as an unprivileged user or inside a wrapper (a private mount namespace), and probes of
 * what this machine allows (tmpfs, chattr, dropping root) so tests can skip with the reason.
 */
import { spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { appendFileSync, chmodSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { BIN, cleanEnv, requireBuild, ROOT, tempDir } from './cli.js';

export interface RunOptions {
  /** working folder of the child (default: the repo root) */
  cwd?: string;
  /** extra environment (merged over a clean copy of this process's, with NO_COLOR=1) */
  env?: Record<string, string | undefined>;
  /** bytes for stdin (then closed); undefined: stdin is /dev/null; 'pipe': left open (use `child.stdin`) */
  stdin?: string | Uint8Array | 'pipe';
  /** give up after this long: SIGKILL the child and reject (default 60 s) */
  timeoutMs?: number;
  /** run as this user and group (root only): file modes then apply, which they do not for root */
  uid?: number;
  gid?: number;
  /** command in front of `node bin/charnn.js ...`, e.g. ['unshare', '-m', 'sh', '-c', 'mount ...; exec "$0" "$@"'] */
  wrap?: string[];
  /** stdout as a stream the caller reads (then `stdout` in the result stays empty) */
  stdoutPipe?: boolean;
}

export interface RunResult {
  /** exit code, or null when the child died of a signal */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** stderr split into non-empty lines */
  errLines: string[];
  ms: number;
}

export interface Running {
  child: ChildProcess;
  pid: number;
  /** stderr so far */
  readonly stderr: string;
  /** stdout so far */
  readonly stdout: string;
  /** resolves when the child has exited (never rejects unless the timeout hits) */
  done: Promise<RunResult>;
  /** resolves once stderr matches (rejects if the child exits first) */
  waitForStderr(re: RegExp): Promise<void>;
  /** send a signal if it is still running */
  kill(sig?: NodeJS.Signals): void;
}

/** Start `charnn ...args` without waiting for it. */
export function startCharnn(args: string[], opts: RunOptions = {}): Running {
  requireBuild();
  const env = cleanEnv();
  delete env.NODE_OPTIONS;
  for (const [k, v] of Object.entries(opts.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  const cmd = [...(opts.wrap ?? []), process.execPath, BIN, ...args];
  const spawnOpts: SpawnOptions = {
    cwd: opts.cwd ?? ROOT,
    env,
    stdio: [opts.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    uid: opts.uid,
    gid: opts.gid,
  };
  const t0 = performance.now();
  const child = spawn(cmd[0], cmd.slice(1), spawnOpts);
  let out = '';
  let err = '';
  const waiters: Array<{ re: RegExp; resolve: () => void; reject: (e: Error) => void }> = [];
  const check = () => {
    for (let i = waiters.length - 1; i >= 0; i--) {
      if (waiters[i].re.test(err)) {
        waiters[i].resolve();
        waiters.splice(i, 1);
      }
    }
  };
  if (!opts.stdoutPipe) child.stdout!.on('data', (d: Buffer) => (out += d.toString('utf8')));
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString('utf8');
    check();
  });
  if (opts.stdin !== undefined && opts.stdin !== 'pipe') {
    child.stdin!.on('error', () => {}); // the child may exit before reading it all (EPIPE)
    child.stdin!.end(opts.stdin);
  }
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const done = new Promise<RunResult>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`charnn ${args.join(' ')} did not finish in ${timeoutMs} ms\nstderr: ${err}`));
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      for (const w of waiters.splice(0)) w.reject(new Error(`charnn exited (${code ?? signal}) before stderr matched ${w.re}\nstderr: ${err}`));
      resolve({
        code,
        signal,
        stdout: out,
        stderr: err,
        errLines: err.split('\n').filter((l) => l.trim() !== ''),
        ms: performance.now() - t0,
      });
    });
  });
  done.catch(() => {}); // callers that only kill need not await it
  return {
    child,
    pid: child.pid!,
    get stderr() {
      return err;
    },
    get stdout() {
      return out;
    },
    done,
    waitForStderr(re: RegExp) {
      if (re.test(err)) return Promise.resolve();
      if (child.exitCode !== null || child.signalCode !== null) {
        return Promise.reject(new Error(`charnn had already exited before stderr matched ${re}\nstderr: ${err}`));
      }
      return new Promise<void>((resolve, reject) => waiters.push({ re, resolve, reject }));
    },
    kill(sig: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(sig);
    },
  };
}

/** Run `charnn ...args` to the end. */
export function runCharnn(args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return startCharnn(args, opts).done;
}

/** Polls until `cond()` is true (e.g. a file exists); rejects after timeoutMs. */
export async function waitUntil(cond: () => boolean, timeoutMs = 30_000, everyMs = 10): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

// ---- what this machine lets a test do (root in a sandbox, as in CI); each returns null or why not -----------------

function trySh(script: string): string | null {
  const r = spawnSync('sh', ['-c', script], { encoding: 'utf8', timeout: 10_000 });
  return r.status === 0 ? null : (r.stderr || r.stdout || `exit ${r.status}`).trim().split('\n')[0];
}

/** Why a private mount namespace with a small tmpfs (for a full disk) cannot be had, or null if it can. */
export function whyNoTmpfs(): string | null {
  if (process.platform !== 'linux') return 'needs Linux mount namespaces';
  const why = trySh('d=$(mktemp -d) && unshare -m sh -c "mount -t tmpfs -o size=16k tmpfs $d" ; s=$?; rmdir $d; exit $s');
  return why && `cannot mount a tmpfs in a private mount namespace (${why})`;
}

/** Why files cannot be made immutable (chattr +i, to fail writes even for root), or null if they can. */
export function whyNoChattr(dir: string): string | null {
  if (process.platform !== 'linux') return 'needs chattr on Linux';
  const why = trySh(`f=$(mktemp -p "${dir}" .chattr-probe.XXXXXX) && chattr +i "$f" && chattr -i "$f"; s=$?; rm -f "$f"; exit $s`);
  return why && `chattr +i does not work here (${why})`;
}

/**
 * User and group to run a child as so that file modes apply ({} when this process is not root: they already do),
 * or null when running as root and nobody (65534) cannot run charnn from this checkout (e.g. a clone inside a
 * 0700 folder such as `mktemp -d` makes): then the tests that need it skip instead of failing for the wrong reason.
 */
export function unprivileged(): { uid?: number; gid?: number } | null {
  if (process.getuid?.() !== 0) return {};
  const r = spawnSync(process.execPath, [BIN, '--version'], { uid: 65534, gid: 65534, cwd: '/' });
  return r.status === 0 ? { uid: 65534, gid: 65534 } : null;
}

// ---- common assertions and the table ---------------------------------------------------------------------------

/** The failure contract: this exit code, exactly one stderr line `charnn: ...` matching `message`, no stack trace,
 *  nothing on stdout. */
export function expectOneLineFailure(r: RunResult, code: number, message: RegExp): void {
  const ctx = `stderr was:\n${r.stderr}`;
  expect(r.signal, ctx).toBeNull();
  expect(r.code, ctx).toBe(code);
  expect(r.stdout, 'nothing on stdout').toBe('');
  expect(r.errLines, ctx).toHaveLength(1);
  expect(r.errLines[0], ctx).toMatch(/^charnn: /);
  expect(r.errLines[0]).toMatch(message);
  expect(r.stderr).not.toMatch(/^\s+at /m);
}

/** Every file and folder under dir (relative paths, sorted), to check that nothing was left behind. */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      out.push(relative(dir, p) + (e.isDirectory() ? '/' : ''));
      if (e.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out.sort();
}

/** With CHARNN_RELIABILITY_TABLE=file set, appends one row (JSON line) of the closing table for this case. */
export function recordRow(group: string, name: string, r: { code: number | null; signal?: string | null; stderr: string }, note = ''): void {
  const file = process.env.CHARNN_RELIABILITY_TABLE;
  if (!file) return;
  const lines = r.stderr.split('\n').filter((l) => l.startsWith('charnn: '));
  const row = { group, name, code: r.code ?? r.signal, message: lines.join(' / ') || '(nothing on stderr)', note };
  appendFileSync(file, JSON.stringify(row) + '\n');
}

/**
 * A file's temporary root (mode 0755, so the unprivileged-user cases can reach it; corpus.txt in it) and a fresh
 * numbered case folder per call, each with its own corpus.txt. Registers its own beforeAll/afterAll.
 */
export function caseFolders(corpus: string): { root(): string; caseDir(): string } {
  let dir = '';
  let cleanup = () => {};
  let n = 0;
  beforeAll(() => {
    ({ dir, cleanup } = tempDir({ 'corpus.txt': corpus }));
    chmodSync(dir, 0o755);
  });
  afterAll(() => cleanup());
  return {
    root: () => dir,
    caseDir: () => {
      const d = join(dir, `case-${++n}`);
      mkdirSync(d, { mode: 0o755 });
      writeFileSync(join(d, 'corpus.txt'), corpus);
      return d;
    },
  };
}
