/**
 * A real `charnn serve` child process on 127.0.0.1 and a free port, and the clients the tests use: server-sent
 * events read with fetch, raw HTTP for what fetch will not send (a foreign Host header, broken UTF-8), and the
 * `charnn sample` command line the streams are compared with.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { BIN, cleanEnv, requireBuild, runCli } from './cli.js';

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  stderr(): string;
  /** resolves when the process has exited */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** `env`: variables added to the clean environment (e.g. CHARNN_API_KEY). */
export function startServer(args: string[], cwd: string, env: Record<string, string> = {}): Promise<ServerProcess> {
  requireBuild();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', ...args], { cwd, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.on('exit', (code, signal) => r({ code, signal })));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`charnn serve did not print its URL in time; stderr: ${err}`));
    }, 30_000);
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const line = out.split('\n')[0];
      if (out.includes('\n')) {
        clearTimeout(timer);
        resolve({
          url: line,
          child,
          stderr: () => err,
          exited,
          stop: (signal = 'SIGTERM') => {
            child.kill(signal);
            return exited;
          },
        });
      }
    });
    exited.then(({ code }) => {
      clearTimeout(timer);
      if (!out.includes('\n')) reject(new Error(`charnn serve exited (${code}) before printing its URL; stderr: ${err}`));
    });
  });
}

export interface SseEvent {
  event: string;
  data: Record<string, unknown>;
}

/** Parse a complete server-sent events body. */
export function parseEvents(body: string): SseEvent[] {
  const out: SseEvent[] = [];
  for (const block of body.split('\n\n')) {
    if (!block.trim()) continue;
    let event = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
    }
    out.push({ event, data: JSON.parse(data.join('\n')) });
  }
  return out;
}

/** The text of a stream's events (message events, in order). */
export const textOf = (events: SseEvent[]): string => events.filter((e) => e.event === 'message').map((e) => e.data.text as string).join('');

/** POST /v1/sample, read to the end. */
export async function postSample(url: string, body: unknown, accept = 'text/event-stream'): Promise<{ status: number; headers: Headers; body: string }> {
  const res = await fetch(new URL('/v1/sample', url), {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: accept },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, body: await res.text() };
}

export async function getJson(url: string, path: string): Promise<{ status: number; body: any }> {
  const res = await fetch(new URL(path, url));
  return { status: res.status, body: await res.json() };
}

/** A raw HTTP request (any header, any bytes, optionally without Content-Length). */
export function rawRequest(
  url: string,
  o: { method?: string; path?: string; headers?: Record<string, string>; body?: Buffer | string; chunked?: boolean },
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: u.hostname, port: u.port, method: o.method ?? 'POST', path: o.path ?? '/v1/sample', headers: o.headers ?? {} },
      (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (o.body !== undefined) {
      if (o.chunked) {
        // several writes without Content-Length: the body arrives chunked
        const b = Buffer.from(o.body);
        for (let i = 0; i < b.length; i += 16384) req.write(b.subarray(i, i + 16384));
      } else req.write(o.body);
    }
    req.end();
  });
}

/** Options of a request as `charnn sample` flags. */
export function sampleFlags(o: { prime?: string; temp?: number; topK?: number; topP?: number; length?: number; seed?: number }): string[] {
  const f: string[] = [];
  if (o.prime !== undefined) f.push('--prime', o.prime);
  if (o.temp !== undefined) f.push('--temp', String(o.temp));
  if (o.topK !== undefined) f.push('--top-k', String(o.topK));
  if (o.topP !== undefined) f.push('--top-p', String(o.topP));
  if (o.length !== undefined) f.push('--length', String(o.length));
  if (o.seed !== undefined) f.push('--seed', String(o.seed));
  return f;
}

/** What `charnn sample CKPT` prints for the options (stdout), failing the test on a non-zero exit. */
export async function cliSample(ckpt: string, o: Parameters<typeof sampleFlags>[0], cwd: string, extra: string[] = []): Promise<string> {
  const r = await runCli(['sample', ckpt, ...sampleFlags(o), ...extra], { cwd });
  if (r.code !== 0) throw new Error(`charnn sample failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

/** Run `fn` over items with at most `n` at a time (the machine has two cores). */
export async function pool<T, R>(items: T[], n: number, fn: (x: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i], i);
      }
    }),
  );
  return out;
}
