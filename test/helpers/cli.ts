/**
 * Running the real charnn binary (bin/charnn.js -> dist/) as a child process, in temporary folders.
 * Tests assume dist/ is built (CI builds before testing); without it they fail with a clear message.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = join(ROOT, 'bin', 'charnn.js');

export function requireBuild(): void {
  if (!existsSync(join(ROOT, 'dist', 'cli', 'main.js'))) {
    throw new Error('dist/ is missing: run `npm run build` before these tests (CI builds first)');
  }
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd: string;
  input?: string;
  env?: Record<string, string>;
  timeoutMs?: number;
  /** called with the child as soon as it is spawned (to send signals) */
  onSpawn?: (child: ReturnType<typeof spawn>) => void;
}

/** Environment without colour or a mirror surprise; callers add what they need. */
export function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('CHARNN_') && k !== 'FORCE_COLOR') env[k] = v;
  return { ...env, NO_COLOR: '1', ...extra };
}

export function runCli(args: string[], o: RunOptions): Promise<RunResult> {
  requireBuild();
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: o.cwd, env: o.env ?? cleanEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`charnn ${args.join(' ')} timed out; stderr: ${stderr}`));
    }, o.timeoutMs ?? 30_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, stdout, stderr });
    });
    if (o.input !== undefined) child.stdin.end(o.input);
    else child.stdin.end();
    o.onSpawn?.(child);
  });
}

/** A shell pipeline (bash), for `charnn ... | head -c N`. Returns bash's stdout/stderr and status. */
export function runShell(script: string, cwd: string, env = cleanEnv()): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn('bash', ['-c', script], { cwd, env: { ...env, CHARNN: `${process.execPath} ${BIN}` } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => resolvePromise({ code, signal, stdout, stderr }));
  });
}

/** A fresh temporary folder holding `files`; remove it with the returned cleanup. */
export function tempDir(files: Record<string, string> = {}): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'charnn-cli-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A small deterministic text with a learnable structure (a few thousand characters). */
export function smallText(lines = 120): string {
  const words = ['the', 'quick', 'brown', 'fox', 'jumps', 'over', 'lazy', 'dog', 'and', 'runs', 'away', 'home'];
  let s = '';
  let x = 7;
  for (let i = 0; i < lines; i++) {
    const n = 4 + (i % 5);
    const line: string[] = [];
    for (let j = 0; j < n; j++) {
      x = (x * 1103515245 + 12345) % 2147483648;
      line.push(words[(x >>> 16) % words.length]);
    }
    s += line.join(' ') + (i % 3 === 0 ? '.' : ',') + '\n';
  }
  return s;
}
