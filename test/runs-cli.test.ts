/**
 * Issue 33: the metrics log every run writes (appended across --resume, surviving kill -9 with at most its last line
 * lost), `charnn runs` (the options that differ as columns, the state from the lock) and `charnn plot` (the curves
 * overlaid in the terminal, in an SVG and as CSV), on the real binary.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, cleanEnv, requireBuild, runCli, smallText, tempDir } from './helpers/cli.js';

const SMALL = ['--layers', '1', '--batch', '4', '--seq', '16', '--eval-every', '10', '--backend', 'js', '--threads', '1'];

/** The step lines of a metrics log (every line must parse but the last, which a crash may have torn). */
function logLines(path: string, tornLastAllowed = false): Record<string, unknown>[] {
  const raw = readFileSync(path, 'utf8').split('\n');
  const last = raw.pop();
  expect(last === '' || tornLastAllowed, 'the file ends with a newline').toBe(true);
  return raw.map((l, i) => {
    try {
      return JSON.parse(l) as Record<string, unknown>;
    } catch (e) {
      throw new Error(`line ${i + 1} of ${path} does not parse: ${l}`, { cause: e });
    }
  });
}

describe('two runs with different options', () => {
  let dir: string;
  let cleanup: () => void;
  beforeAll(async () => {
    ({ dir, cleanup } = tempDir({ 'text.txt': smallText(200) }));
    const a = await runCli(['train', 'text.txt', '--steps', '30', '--hidden', '16', '--dropout', '0', '--name', 'a', ...SMALL], { cwd: dir, timeoutMs: 60_000 });
    expect(a.code, a.stderr).toBe(0);
    const b = await runCli(['train', 'text.txt', '--steps', '30', '--hidden', '24', '--name', 'b', ...SMALL], { cwd: dir, timeoutMs: 60_000 });
    expect(b.code, b.stderr).toBe(0);
  }, 120_000);
  afterAll(() => cleanup());

  it('each writes a metrics log: a start line, then one line per step with its figures, validation where measured', () => {
    const lines = logLines(join(dir, 'checkpoints', 'a', 'metrics.jsonl'));
    expect(lines[0]).toMatchObject({ event: 'start', step: 0 });
    expect((lines[0].config as Record<string, unknown>).hidden).toBe(16);
    const steps = lines.slice(1);
    expect(steps.map((l) => l.step)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    for (const l of steps) {
      for (const k of ['epoch', 'time', 'chars', 'cps', 'loss', 'lr', 'gradNorm', 'rollbacks', 'saves']) expect(typeof l[k], `${k} of ${JSON.stringify(l)}`).toBe('number');
    }
    expect(steps.filter((l) => l.val !== undefined).map((l) => l.step)).toEqual([10, 20, 30]);
    expect(steps[29].saves).toBeGreaterThan(0);
  });

  it('charnn runs lists them with the options that differ as columns; --sort and --json', async () => {
    const r = await runCli(['runs'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const [head, ...rows] = r.stdout.trimEnd().split('\n');
    expect(head.split(/\s{2,}/)).toEqual(['run', 'model', 'corpus', 'steps', 'time', 'best val', 'state', '--dropout']);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatch(/^a\s+gru 1x16\s+text\.txt\s+30\s+\d+s\s+\d\.\d{4}\s+finished\s+0$/);
    expect(rows[1]).toMatch(/^b\s+gru 1x24\s+text\.txt\s+30\s+\d+s\s+\d\.\d{4}\s+finished\s+0\.2$/);

    const j = await runCli(['runs', 'checkpoints', '--json', '--sort', 'val'], { cwd: dir });
    const list = JSON.parse(j.stdout) as { name: string; bestVal: number; hidden: number; options: Record<string, unknown>; state: string }[];
    expect(list.map((x) => x.bestVal)).toEqual([...list.map((x) => x.bestVal)].sort((x, y) => x - y));
    expect(Object.fromEntries(list.map((x) => [x.name, x.options]))).toEqual({ a: { dropout: 0 }, b: { dropout: 0.2 } });
  });

  it('charnn plot overlays them in the terminal and in an SVG, each named by what differs; --csv', async () => {
    const r = await runCli(['plot', 'checkpoints/a', 'checkpoints/b/latest.json', '--width', '60', '-o', 'plot.svg'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('training loss');
    expect(r.stdout).toContain('validation loss');
    expect(r.stdout).toContain('── --hidden 16, --dropout 0 (a)');
    expect(r.stdout).toContain('** --hidden 24, --dropout 0.2 (b)'); // no colour: the second run is drawn with *
    expect(r.stdout.split('\n').filter((l) => l.includes('*')).length).toBeGreaterThan(5);
    expect(r.stdout).toMatch(/^\s+0\s+30\s+steps$/m);
    expect(r.stderr).toContain('wrote plot.svg');
    const svg = readFileSync(join(dir, 'plot.svg'), 'utf8');
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.match(/<polyline /g)).toHaveLength(4); // training and validation of each run
    expect(svg).toContain('--hidden 16, --dropout 0 <tspan');
    expect(svg).toContain('--hidden 24, --dropout 0.2 <tspan');
    expect(svg).not.toMatch(/NaN|undefined|href=/); // self-contained, every figure a number

    const t = await runCli(['plot', 'checkpoints/a', 'checkpoints/b', '--x', 'time', '--width', '40'], { cwd: dir });
    expect(t.stdout).toMatch(/seconds trained$/m);

    const c = await runCli(['plot', 'checkpoints/a', 'checkpoints/b', '--csv'], { cwd: dir });
    const rows = c.stdout.trimEnd().split('\n');
    expect(rows[0]).toBe('run,step,epoch,time,chars,cps,loss,lr,gradNorm,val,rollbacks,saves');
    expect(rows).toHaveLength(61);
    expect(rows[10]).toMatch(/^a,10,[\d.]+,[\d.]+,640,\d+,[\d.]+,0\.002,[\d.]+,[\d.]+,0,\d+$/);
  });

  it('a resumed run appends to the same log, and plot and runs read it as one curve', async () => {
    const r = await runCli(['train', 'text.txt', '--resume', 'checkpoints/a/latest.json', '--steps', '10', ...SMALL], { cwd: dir, timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    const lines = logLines(join(dir, 'checkpoints', 'a', 'metrics.jsonl'));
    expect(lines.filter((l) => l.event === 'start').map((l) => l.step)).toEqual([0, 30]);
    expect(lines.filter((l) => l.event === undefined).map((l) => l.step)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    const c = await runCli(['plot', 'checkpoints/a', '--csv'], { cwd: dir });
    expect(c.stdout.trimEnd().split('\n')).toHaveLength(41);
  });

  it('--log FILE puts the log elsewhere; --log - is refused in one line', async () => {
    const r = await runCli(['train', 'text.txt', '--steps', '5', '--hidden', '8', '--name', 'c', '--log', 'c.jsonl', ...SMALL], { cwd: dir, timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(join(dir, 'checkpoints', 'c', 'metrics.jsonl'))).toBe(false);
    // the last step twice: with the final validation and save (readers keep the later line)
    expect(logLines(join(dir, 'c.jsonl')).filter((l) => l.event === undefined).map((l) => l.step)).toEqual([1, 2, 3, 4, 5, 5]);
    const c = await runCli(['plot', 'checkpoints/c', '--csv'], { cwd: dir });
    expect(c.stdout.trimEnd().split('\n')).toHaveLength(6); // plot finds it through the checkpoint

    const deep = await runCli(['train', 'text.txt', '--steps', '3', '--hidden', '8', '--name', 'd', '-q', '--log', 'logs/sub/d.jsonl', ...SMALL], { cwd: dir, timeoutMs: 60_000 });
    expect(deep.code, deep.stderr).toBe(0);
    expect(existsSync(join(dir, 'logs', 'sub', 'd.jsonl'))).toBe(true); // its folders created
    const unwritable = await runCli(['train', 'text.txt', '--steps', '3', '--hidden', '8', '--name', 'e', '-q', '--log', 'text.txt/e.jsonl', ...SMALL], { cwd: dir, timeoutMs: 60_000 });
    expect(unwritable.code).toBe(1);
    expect(unwritable.stderr.trimEnd().split('\n')).toEqual(['charnn: cannot train: cannot write the metrics log text.txt/e.jsonl (text.txt is not a folder) (give --log a file you can write, or leave it out)']);
    expect(existsSync(join(dir, 'checkpoints', 'e'))).toBe(false); // nothing left behind

    const bad = await runCli(['train', 'text.txt', '--steps', '5', '--log', '-', ...SMALL], { cwd: dir });
    expect(bad.code).not.toBe(0);
    expect(bad.stdout).toBe('');
    expect(bad.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(bad.stderr).toContain('--log "-": cannot be - (standard output is for data)');
  });
});

describe('charnn runs with a damaged run', () => {
  it('leaves it out with a warning and lists the others', async () => {
    const { dir, cleanup } = tempDir({ 'text.txt': smallText(200) });
    try {
      const a = await runCli(['train', 'text.txt', '--steps', '3', '--hidden', '8', '--name', 'good', '-q', ...SMALL], { cwd: dir, timeoutMs: 60_000 });
      expect(a.code, a.stderr).toBe(0);
      mkdirSync(join(dir, 'checkpoints', 'broken'));
      writeFileSync(join(dir, 'checkpoints', 'broken', 'latest.json'), '{');
      const r = await runCli(['runs'], { cwd: dir });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.trimEnd().split('\n').slice(1).map((l) => l.split(' ')[0])).toEqual(['good']);
      expect(r.stderr).toMatch(/^charnn: warning: left out checkpoints\/broken: cannot load checkpoint checkpoints\/broken\/latest\.json: /);
    } finally {
      cleanup();
    }
  }, 60_000);
});

describe('the metrics log across a kill -9', () => {
  it('keeps every line but possibly the last, steps increasing; runs says running, then interrupted', async () => {
    requireBuild();
    const { dir, cleanup } = tempDir({ 'text.txt': smallText(200) });
    try {
      const child = spawn(process.execPath, [BIN, 'train', 'text.txt', '--time', '60s', '--hidden', '16', '--save-every', '20', '--name', 'k', ...SMALL], { cwd: dir, env: cleanEnv(), stdio: 'ignore' });
      const log = join(dir, 'checkpoints', 'k', 'metrics.jsonl');
      const started = Date.now();
      let running = '';
      for (;;) {
        await new Promise((r) => setTimeout(r, 100));
        if (Date.now() - started > 50_000) throw new Error('the run wrote too few lines');
        if (!existsSync(log) || readFileSync(log, 'utf8').split('\n').length < 60) continue;
        if (!running) {
          running = (await runCli(['runs'], { cwd: dir })).stdout;
          continue;
        }
        break;
      }
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      expect(running).toMatch(/^k\s.*\srunning$/m);

      const lines = logLines(log, true);
      const steps = lines.filter((l) => l.event === undefined).map((l) => l.step as number);
      expect(steps.length).toBeGreaterThan(50);
      steps.forEach((s, i) => expect(s).toBe(i + 1));

      const after = await runCli(['runs'], { cwd: dir });
      expect(after.stdout).toMatch(/^k\s.*\sinterrupted$/m);

      // a torn last line (as a crash mid-write leaves) is skipped by readers and kept apart by the next run
      writeFileSync(log, readFileSync(log, 'utf8') + '{"step":99999,"epo');
      const resumed = await runCli(['train', 'text.txt', '--resume', 'checkpoints/k/latest.json', '--steps', '40', ...SMALL, '--hidden', '16'], { cwd: dir, timeoutMs: 60_000 });
      expect(resumed.code, resumed.stderr).toBe(0);
      const text = readFileSync(log, 'utf8').split('\n');
      expect(text.filter((l) => l === '{"step":99999,"epo')).toHaveLength(1);
      const csv = (await runCli(['plot', 'checkpoints/k', '--csv'], { cwd: dir })).stdout.trimEnd().split('\n').slice(1);
      // the steps lost since the last save are dropped at the resume's start line: one curve, steps increasing to
      // beyond the kill (a kill between a save and its step's line loses that one line: a gap of one step there)
      const csvSteps = csv.map((r) => Number(r.split(',')[1]));
      expect(csvSteps[0]).toBe(1);
      csvSteps.slice(1).forEach((s, i) => expect(s - csvSteps[i]).toBeGreaterThanOrEqual(1));
      expect(csvSteps.length).toBeGreaterThanOrEqual(csvSteps[csvSteps.length - 1] - 1);
      expect(csvSteps[csvSteps.length - 1]).toBeGreaterThan(steps[steps.length - 1]);
    } finally {
      cleanup();
    }
  }, 120_000);
});
