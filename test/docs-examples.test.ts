/**
 * The examples of README.md and docs/*.md print what they show. A ```console block after an `<!-- example -->`
 * line is a session: each `$ ` line a command (`charnn` and `npx charnn` run bin/charnn.js), the lines after it
 * until the next command what it prints on stdout. The commands of a block run one after another in one fresh
 * folder, where checkpoints/pretrained/ is the bundled model (and ./checkpoints/ holds no run, so a plain
 * `charnn sample` takes the bundled model too); each must exit 0 and print the lines shown, byte for byte but
 * for spaces at line ends, which Markdown editors strip. Also the ONNX example of docs/pytorch-onnx.md, run with
 * onnxruntime-node where it loads, prints what `charnn sample --temp 0` prints.
 *
 * A ```console block after `<!-- example: figures vary -->` is a session whose output includes stderr and figures
 * that change from run to run (speeds, durations, timestamps, a loss's last decimals on another CPU). Its commands
 * run one after another in one bash, in a fresh folder as above (`charnn` on the PATH, CHARNN_CORPUS_MIRROR at
 * ../shared/corpora as in .ci/run, so tinyshakespeare needs no network), stdout and stderr together in the order
 * they were written. Progress lines (`step N | epoch ...`) are dropped from what runs and what is shown, every number
 * and duration is masked (`N`, `T`), and the rest is compared line by line. A command's output is also what
 * background commands (`&`) print while it runs; before the next command the session waits (up to 30 s) until a
 * command's shown lines have all appeared, so `cmd &` can be followed by `kill -USR1 $!` once it has started. A
 * command with an `# ... text varies ...` comment (a sample from a model trained in the session, whose text depends
 * on the CPU's arithmetic) is checked for its length in characters only. A command exits 0, or not 0 where it
 * shows a `charnn: ` error. `charnn serve --port 8080` listens on a free port instead, and later commands' `:8080`
 * goes to it. The session's processes are killed at its end.
 *
 * Every ```console block of these files carries one of the two markers, so no example goes untested.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, cleanEnv, requireBuild, ROOT, runCli, tempDir, type RunResult } from './helpers/cli.js';

const DOCS = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => join('docs', f))];

interface Step {
  command: string;
  shown: string[];
}

function examples(file: string): Step[][] {
  const blocks: Step[][] = [];
  for (const m of readFileSync(join(ROOT, file), 'utf8').matchAll(/<!-- example -->\n```console\n([\s\S]*?)```/g)) {
    const steps: Step[] = [];
    for (const line of m[1].replace(/\n$/, '').split('\n')) {
      if (line.startsWith('$ ')) steps.push({ command: line.slice(2), shown: [] });
      else if (steps.length) steps[steps.length - 1].shown.push(line);
      else throw new Error(`${file}: an example block must start with a $ command`);
    }
    blocks.push(steps);
  }
  return blocks;
}

function bash(script: string, cwd: string): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const prelude = `charnn() { "${process.execPath}" "${BIN}" "$@"; }\n`;
    const child = spawn('bash', ['-c', prelude + script.replace(/(^|[|;&]\s*)npx charnn /g, '$1charnn ')], { cwd, env: cleanEnv() });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

const norm = (s: string) => s.replace(/[ \t]+$/gm, '').replace(/\n$/, '');

/** A fresh folder whose checkpoints/pretrained/ is the bundled model, as in a clone of the repository. */
function sandbox(): { dir: string; cleanup: () => void } {
  const t = tempDir();
  mkdirSync(join(t.dir, 'checkpoints'));
  symlinkSync(join(ROOT, 'checkpoints', 'pretrained'), join(t.dir, 'checkpoints', 'pretrained'), 'dir');
  return t;
}

const all = DOCS.flatMap((file) => examples(file).map((steps, i) => ({ file, i, steps })));

describe('the examples of README.md and docs/', () => {
  it('are found where they should be', () => {
    const files = new Set(all.map((e) => e.file));
    for (const f of ['README.md', 'docs/sampling.md', 'docs/evaluating.md', 'docs/inspect.md', 'docs/cli.md']) expect(files, f).toContain(f);
    for (const e of all) expect(e.steps.length, `${e.file} example ${e.i + 1}`).toBeGreaterThan(0);
  });

  it.each(all.map((e) => [`${e.file}, example ${e.i + 1}`, e] as const))('%s prints what it shows', async (_, e) => {
    requireBuild();
    const { dir, cleanup } = sandbox();
    try {
      for (const step of e.steps) {
        const r = await bash(step.command, dir);
        expect(r.code, `${step.command}\n${r.stderr}`).toBe(0);
        expect(norm(r.stdout), step.command).toBe(norm(step.shown.join('\n')));
      }
    } finally {
      cleanup();
    }
  }, 60_000);
});

// ---- sessions: `<!-- example: figures vary -->` ----

interface SessionStep {
  command: string;
  shown: string[];
  /** an `# ... text varies ...` comment: compared by length only */
  textVaries: boolean;
}

function sessions(file: string): SessionStep[][] {
  const blocks: SessionStep[][] = [];
  for (const m of readFileSync(join(ROOT, file), 'utf8').matchAll(/<!-- example: figures vary -->\n```console\n([\s\S]*?)```/g)) {
    const steps: SessionStep[] = [];
    const lines = m[1].replace(/\n$/, '').split('\n');
    for (let i = 0; i < lines.length; i++) {
      if (lines[i].startsWith('$ ')) {
        let command = lines[i].slice(2);
        while (command.endsWith('\\') && i + 1 < lines.length) command = command.slice(0, -1) + ' ' + lines[++i].trim();
        steps.push({ command, shown: [], textVaries: /#.*\btext varies\b/.test(command) });
      } else if (steps.length) steps[steps.length - 1].shown.push(lines[i]);
      else throw new Error(`${file}: an example block must start with a $ command`);
    }
    blocks.push(steps);
  }
  return blocks;
}

const PROGRESS = /^step \d+ \| epoch /;
/** The lines compared: progress lines dropped, spaces at line ends stripped, not the empty one after a final line break. */
function lines(text: string): string[] {
  const l = text.split('\n').map((x) => x.replace(/[ \t]+$/, '')).filter((x) => !PROGRESS.test(x));
  if (l.length && l[l.length - 1] === '') l.pop();
  return l;
}
/** A command's shown lines, as if printed with a line break after the last one (a blank line shown last is printed). */
const shownLines = (step: SessionStep) => (step.shown.length ? lines(step.shown.join('\n') + '\n') : []);
/** Durations (22s, 1m23s, 5m00s, 12ms) -> T, numbers (7394, 1,115,394, 29.0k, 0.5, the 20261207 of a run name) -> N, the SIMD kernels -> ISA,
 *  a completion's random id (cmpl-<uuid>) -> cmpl-ID. */
const mask = (line: string) =>
  line
    .replace(/cmpl-[0-9a-f-]+/g, 'cmpl-ID')
    .replace(/\b(?:\d+h)?(?:\d+m)?\d+(?:\.\d+)?m?s\b/g, 'T')
    .replace(/\d+(?:[.,]\d+)*k?/g, 'N')
    .replace(/\b(?:avxN|avx|portable)\b/g, 'ISA');

/** The sessions' environment: `charnn` on the PATH (a script, so `$!` of `charnn ... &` is the Node process itself), the mirror, a corpus cache of their own. */
function sessionTools(): { env: Record<string, string>; cleanup: () => void } {
  const t = tempDir();
  mkdirSync(join(t.dir, 'bin'));
  writeFileSync(join(t.dir, 'bin', 'charnn'), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`);
  chmodSync(join(t.dir, 'bin', 'charnn'), 0o755);
  const env = cleanEnv({
    PATH: `${join(t.dir, 'bin')}:${process.env.PATH ?? ''}`,
    CHARNN_CORPUS_MIRROR: process.env.CHARNN_CORPUS_MIRROR || join(ROOT, '..', 'shared', 'corpora'),
    CHARNN_CORPUS_CACHE: join(t.dir, 'corpora'),
  });
  return { env, cleanup: t.cleanup };
}

interface Ran {
  command: string;
  output: string;
  code: number;
}

/** Runs a session's commands one at a time in one bash (stdout and stderr together), as described at the top. */
async function runSession(steps: SessionStep[], cwd: string, env: Record<string, string>): Promise<Ran[]> {
  const driver = `exec 2>&1 3<&0 </dev/null; trap 'kill $(jobs -p) 2>/dev/null' EXIT
while IFS= read -r -u 3 __line; do eval "$__line"; printf '\\036%d\\n' "$?"; done`;
  const child = spawn('bash', ['-c', driver], { cwd, env, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
  const closed = new Promise<void>((resolve) => child.on('close', () => resolve()));
  const until = async (ok: () => boolean, ms: number) => {
    for (const end = Date.now() + ms; !ok() && Date.now() < end; ) await new Promise((r) => setTimeout(r, 50));
  };
  const ran: Ran[] = [];
  let pos = 0;
  let port = '';
  try {
    for (const step of steps) {
      let command = step.command.replace(/(^|[|;&]\s*)npx charnn /g, '$1charnn ');
      if (/\bcharnn serve\b/.test(command)) command = command.replace(/--port 8080\b/, '--port 0');
      else if (port) command = command.replace(/:8080\b/g, `:${port}`);
      child.stdin.write(command + '\n');
      const end = () => out.indexOf('\x1e', pos);
      await until(() => /\x1e-?\d+\n/.test(out.slice(pos)), 90_000);
      const m = /\x1e(-?\d+)\n/.exec(out.slice(pos));
      if (!m) throw new Error(`${step.command}: did not finish in 90 s; it printed:\n${out.slice(pos)}`);
      let output = out.slice(pos, end());
      pos += m.index + m[0].length;
      // what background commands print after it: wait for the lines it shows, take them (whole lines) as its own
      const want = shownLines(step).length;
      const glue = (a: string, b: string) => a + (a === '' || a.endsWith('\n') || b === '' ? '' : '\n') + b;
      await until(() => lines(glue(output, out.slice(pos).replace(/[^\n]*$/, ''))).length >= want, 30_000);
      while (lines(output).length < want && out.indexOf('\n', pos) >= 0) {
        const nl = out.indexOf('\n', pos);
        output = glue(output, out.slice(pos, nl + 1));
        pos = nl + 1;
      }
      port ||= /http:\/\/127\.0\.0\.1:(\d+)\//.exec(output)?.[1] ?? '';
      ran.push({ command: step.command, output, code: Number(m[1]) });
    }
  } finally {
    child.stdin.end();
    await until(() => child.exitCode !== null, 5_000);
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // the session's processes have all ended
    }
    await closed;
  }
  return ran;
}

const allSessions = DOCS.flatMap((file) => sessions(file).map((steps, i) => ({ file, i, steps })));

describe('the sessions of README.md and docs/ whose figures vary', () => {
  // tiny Shakespeare from the mirror into this file's corpus cache, so every session finds it already fetched
  let tools: ReturnType<typeof sessionTools> | undefined;
  beforeAll(async () => {
    requireBuild();
    tools = sessionTools();
    const r = await runCli(['corpus', 'get', 'tinyshakespeare'], { cwd: ROOT, env: tools.env });
    expect(r.code, r.stderr).toBe(0);
  });
  afterAll(() => tools?.cleanup());

  it('every ```console block is an example or a session', () => {
    for (const file of DOCS) {
      const text = readFileSync(join(ROOT, file), 'utf8');
      for (const m of text.matchAll(/^```console$/gm)) {
        const before = text.slice(0, m.index).split('\n').slice(-2)[0];
        const line = text.slice(0, m.index).split('\n').length;
        expect(before, `${file}:${line}: a console block needs <!-- example --> or <!-- example: figures vary --> on the line before`).toMatch(/^<!-- example(: figures vary)? -->$/);
      }
    }
    for (const f of ['README.md', 'docs/training.md', 'docs/serve.md']) expect(new Set(allSessions.map((e) => e.file)), f).toContain(f);
  });

  it('masks figures, not words', () => {
    expect(mask('done: step 300 (epoch 0), best val 1.9781 nats (2.854 bpc) at step 300, 1m22s (validation 4.4% of it), 27.9k chars/s; checkpoints in checkpoints/tinyshakespeare-gru2x256-20261207-233121/')).toBe(
      'done: step N (epoch N), best val N nats (N bpc) at step N, T (validation N% of it), N chars/s; checkpoints in checkpoints/tinyshakespeare-gruNxN-N-N/',
    );
    expect(mask('training: gru 2x256, 659,521 parameters, native backend (avx512, 2 threads); budget 2,000 steps')).toBe('training: gru NxN, N parameters, native backend (ISA, N threads); budget N steps');
  });

  it.each(allSessions.map((e) => [`${e.file}, session ${e.i + 1}`, e] as const))('%s prints what it shows', async (_, e) => {
    requireBuild();
    const { dir, cleanup } = sandbox();
    try {
      const ran = await runSession(e.steps, dir, tools!.env);
      e.steps.forEach((step, k) => {
        const r = ran[k];
        const shown = shownLines(step);
        const got = lines(r.output);
        const failing = shown.some((l) => l.startsWith('charnn: '));
        if (!step.command.trimEnd().endsWith('&')) expect(r.code !== 0, `${step.command} exits ${failing ? 'not ' : ''}0:\n${r.output}`).toBe(failing);
        if (step.textVaries) expect(got.join('\n').length, `${step.command}: as many characters as shown:\n${r.output}`).toBe(shown.join('\n').length);
        else expect(got.map(mask), step.command).toEqual(shown.map(mask));
      });
    } finally {
      cleanup();
    }
  }, 150_000);
});

let why = '';
try {
  await import('onnxruntime-node');
} catch (e) {
  why = `onnxruntime-node does not load here: ${(e as Error).message.split('\n')[0]}`;
}

describe.skipIf(why !== '')(why ? `the ONNX example (skipped: ${why})` : "docs/pytorch-onnx.md's ONNX example in Node", () => {
  it('samples what charnn sample --temp 0 prints, with the sizes read from the model', async () => {
    const doc = readFileSync(join(ROOT, 'docs', 'pytorch-onnx.md'), 'utf8');
    const m = /<!-- onnx-node-example -->\n```js\n([\s\S]*?)```/.exec(doc);
    expect(m, 'docs/pytorch-onnx.md has an onnx-node-example block').not.toBeNull();
    const code = m![1];
    const exportCmd = /^\/\/ (charnn export .*), then:$/m.exec(code);
    const sampleCmd = /\/\/ the text of: (charnn sample .*)$/m.exec(code);
    expect(exportCmd && sampleCmd, 'the example names its export and sample commands').toBeTruthy();
    const { dir, cleanup } = sandbox();
    try {
      symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
      writeFileSync(join(dir, 'example.mjs'), code);
      const ex = await bash(exportCmd![1], dir);
      expect(ex.code, ex.stderr).toBe(0);
      const out = await new Promise<RunResult>((resolve, reject) => {
        const child = spawn(process.execPath, ['example.mjs'], { cwd: dir, env: cleanEnv() });
        let stdout = '', stderr = '';
        child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
        child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
        child.on('error', reject);
        child.on('close', (c, signal) => resolve({ code: c, signal, stdout, stderr }));
      });
      expect(out.code, out.stderr).toBe(0);
      const args = sampleCmd![1].split(/\s+/).slice(1);
      const cli = await runCli(args, { cwd: dir });
      expect(cli.code, cli.stderr).toBe(0);
      expect(out.stdout).toBe(cli.stdout + '\n');
      expect([...cli.stdout]).toHaveLength(200);
    } finally {
      cleanup();
    }
  }, 60_000);
});
