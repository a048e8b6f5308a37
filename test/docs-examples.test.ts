/**
 * The examples of README.md and docs/*.md print what they show. A ```console block after an `<!-- example -->`
 * line is a session: each `$ ` line a command (`charnn` and `npx charnn` run bin/charnn.js), the lines after it
 * until the next command what it prints on stdout. The commands of a block run one after another in one fresh
 * folder, where checkpoints/pretrained/ is the bundled model (and ./checkpoints/ holds no run, so a plain
 * `charnn sample` takes the bundled model too); each must exit 0 and print the lines shown, byte for byte but
 * for spaces at line ends, which Markdown editors strip. Also the ONNX example of docs/pytorch-onnx.md, run with
 * onnxruntime-node where it loads, prints what `charnn sample --temp 0` prints.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
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
