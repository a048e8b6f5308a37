/**
 * Issue 20, item 7: --verbose, -q/--quiet and --no-color are accepted before the command as well as after it
 * (the real binary, on the bundled model).
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, ROOT, runCli, tempDir } from './helpers/cli.js';

const BUNDLED = join(ROOT, 'checkpoints', 'pretrained', 'tinyshakespeare.json');
const ANSI = /\x1b\[/;

describe('global options before or after the command', () => {
  let dir: string;
  let cleanup: () => void;
  beforeAll(() => ({ dir, cleanup } = tempDir()));
  afterAll(() => cleanup());
  // colour forced on, so that --no-color has something to switch off
  const colourEnv = () => {
    const env = cleanEnv({ FORCE_COLOR: '1' });
    delete env.NO_COLOR;
    return env;
  };

  it('--no-color before and after the command (the issue: `charnn --no-color info B` was refused)', async () => {
    const coloured = await runCli(['info', BUNDLED], { cwd: dir, env: colourEnv() });
    expect(coloured.stdout).toMatch(ANSI);
    for (const args of [['--no-color', 'info', BUNDLED], ['info', BUNDLED, '--no-color'], ['info', '--no-color', BUNDLED]]) {
      const r = await runCli(args, { cwd: dir, env: colourEnv() });
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
      expect(r.stdout).toMatch(/^checkpoint\s/);
      expect(r.stdout).not.toMatch(ANSI);
    }
  });

  it('-q before and after the command silences the message lines, not the text', async () => {
    const loud = await runCli(['sample', '--length', '30', '--seed', '4'], { cwd: dir });
    expect(loud.stderr).toMatch(/sampling from .*bundled/);
    for (const args of [['-q', 'sample', '--length', '30', '--seed', '4'], ['sample', '--length', '30', '--seed', '4', '-q'], ['--quiet', 'sample', '--length', '30', '--seed', '4']]) {
      const r = await runCli(args, { cwd: dir });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe(loud.stdout);
    }
  });

  it('--verbose before and after the command adds the stack trace to an error', async () => {
    const plain = await runCli(['info', 'nope.json'], { cwd: dir });
    expect(plain.stderr.trim().split('\n')).toHaveLength(1);
    for (const args of [['--verbose', 'info', 'nope.json'], ['info', 'nope.json', '--verbose']]) {
      const r = await runCli(args, { cwd: dir });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^charnn: cannot load checkpoint nope\.json: no such file/);
      expect(r.stderr).toMatch(/\n\s+at loadCheckpoint /);
    }
  });

  it('charnn --help lists them as options of every command', async () => {
    const r = await runCli(['--help'], { cwd: dir });
    expect(r.stdout).toMatch(/--verbose/);
    expect(r.stdout).toMatch(/-q, --quiet/);
    expect(r.stdout).toMatch(/--no-color/);
  });
});
