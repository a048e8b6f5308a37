/**
 * The real binary as a child process: train -> sample pipelines with clean stdout, exact resume, pipes that
 * close early, checkpoint round trips and rejections, Ctrl-C. Tiny models, a few steps: seconds each.
 */
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCheckpoint } from '../src/checkpoint/io.js';
import { checkpointToText } from '../src/checkpoint/codec.js';
import { TRAIN } from '../src/cli/options.js';
import { runCli, runShell, smallText, tempDir } from './helpers/cli.js';

const TINY = ['--hidden', '12', '--layers', '2', '--batch', '4', '--seq', '16', '--backend', 'js'];

let dir: string;
let cleanup: () => void;
let ckpt: string; // a checkpoint trained once for the sampling tests
const text = smallText();

beforeAll(async () => {
  ({ dir, cleanup } = tempDir({ 'corpus.txt': text, 'other.txt': text.replace(/fox/g, 'cat') }));
  const r = await runCli(['train', 'corpus.txt', ...TINY, '--steps', '30', '--eval-every', '10', '--out', 'run'], { cwd: dir });
  expect(r.stderr).toMatch(/done: step 30/);
  expect(r.code).toBe(0);
  ckpt = r.stdout.trim();
});
afterAll(() => cleanup());

const bits = (t: { data: Float32Array }) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).toString('hex');

describe('train -> sample pipeline', () => {
  it('train prints only the checkpoint path on stdout and writes latest.json and best.json', () => {
    expect(ckpt).toBe(join('run', 'latest.json'));
    expect(existsSync(join(dir, 'run', 'latest.json'))).toBe(true);
    expect(existsSync(join(dir, 'run', 'best.json'))).toBe(true);
    const c = loadCheckpoint(join(dir, ckpt));
    expect(c.progress.step).toBe(30);
    expect(c.corpus!.bytes).toBe(Buffer.byteLength(text));
    expect(c.config).toMatchObject({ hidden: 12, batch: 4, seq: 16, lr: 0.002, untilStep: 30 });
    expect(c.progress.bestValLoss).not.toBeNull();
  });

  it('sample prints only generated text, the same for the same seed', async () => {
    const a = await runCli(['sample', ckpt, '--length', '80', '--seed', '5'], { cwd: dir });
    const b = await runCli(['sample', ckpt, '--length', '80', '--seed', '5'], { cwd: dir });
    const c = await runCli(['sample', ckpt, '--length', '80', '--seed', '6'], { cwd: dir });
    expect(a.code).toBe(0);
    expect(a.stderr).toBe('');
    expect([...a.stdout].length).toBe(80);
    const vocab = new Set(text);
    for (const ch of a.stdout) expect(vocab.has(ch)).toBe(true);
    expect(b.stdout).toBe(a.stdout);
    expect(c.stdout).not.toBe(a.stdout);
  });

  it('ckpt=$(charnn train ...) feeds charnn sample in a shell, and the prime comes first', async () => {
    const r = await runShell(
      `ckpt=$($CHARNN train - ${TINY.join(' ')} --steps 5 --quiet --out piped < corpus.txt) && $CHARNN sample "$ckpt" --prime "the " --length 40 --temp 0`,
      dir,
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.startsWith('the ')).toBe(true);
    expect([...r.stdout].length).toBe(40);
  });

  it('without a checkpoint, sample uses the newest under ./checkpoints/ and says so on stderr', async () => {
    const r0 = await runCli(['train', 'corpus.txt', ...TINY, '--steps', '3', '--name', 'newest', '-q'], { cwd: dir });
    expect(r0.stdout.trim()).toBe(join('checkpoints', 'newest', 'latest.json'));
    const r = await runCli(['sample', '--length', '10'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/sampling from checkpoints\/newest\/best\.json \(the newest under \.\/checkpoints\/\)/);
    expect([...r.stdout].length).toBe(10);
  });
});

describe('pipes', () => {
  it('sample --forever | head -c 100 exits 0 with nothing on stderr but the seed', async () => {
    const r = await runShell(`$CHARNN sample ${ckpt} --forever 2>err.txt | head -c 100 > out.txt; echo "\${PIPESTATUS[0]}"`, dir);
    expect(r.stdout.trim()).toBe('0');
    // only the random seed's line (issue 20, item 10): no EPIPE complaint
    expect(readFileSync(join(dir, 'err.txt'), 'utf8')).toMatch(/^seed \d+ \(random; --seed \d+ gives this text again\)\n$/);
    expect(readFileSync(join(dir, 'out.txt')).length).toBe(100);
  });

  it('a long --length into a closed pipe ends quickly too', async () => {
    const t0 = Date.now();
    const r = await runShell(`$CHARNN sample ${ckpt} --length 1000000 --seed 5 2>err.txt | head -c 10 > /dev/null; echo "\${PIPESTATUS[0]}"`, dir);
    expect(r.stdout.trim()).toBe('0');
    expect(readFileSync(join(dir, 'err.txt'), 'utf8')).toBe('');
    expect(Date.now() - t0).toBeLessThan(10_000);
  });
});

describe('exact resume through the CLI', () => {
  it('N steps, then --resume for M more, equals N+M steps bit for bit (dropout on, a constant rate)', async () => {
    // a resume given a budget starts a new plan, so the default cosine would decay anew over the M steps
    const args = ['train', 'corpus.txt', ...TINY, '--dropout', '0.1', '--eval-every', '7', '--seed', '3', '--lr-schedule', 'constant', '-q'];
    const [one, first] = await Promise.all([
      runCli([...args, '--steps', '25', '--out', 'one'], { cwd: dir }),
      runCli([...args, '--steps', '11', '--out', 'two'], { cwd: dir }),
    ]);
    expect(one.code).toBe(0);
    expect(first.code).toBe(0);
    const second = await runCli(['train', 'corpus.txt', '--resume', 'two/latest.json', '--steps', '14', '-q'], { cwd: dir });
    expect(second.stderr).toBe('');
    expect(second.code).toBe(0);
    const a = loadCheckpoint(join(dir, 'one', 'latest.json'));
    const b = loadCheckpoint(join(dir, 'two', 'latest.json'));
    expect(b.progress.step).toBe(25);
    expect(b.tensors.map(bits)).toEqual(a.tensors.map(bits));
    for (const slot of ['exp_avg', 'exp_avg_sq']) expect(b.optimizer!.slots[slot].map(bits)).toEqual(a.optimizer!.slots[slot].map(bits));
    expect(bits(b.state!)).toBe(bits(a.state!));
    expect(b.rng).toEqual(a.rng);
    expect(b.optimizer!.t).toBe(25);
  });

  it('a run resumed from a snapshot part-way, given no budget, ends bit for bit where the whole run did (a cosine included)', async () => {
    const args = ['train', 'corpus.txt', ...TINY, '--dropout', '0.1', '--eval-every', '7', '--seed', '4', '--lr-schedule', 'cosine', '-q'];
    const whole = await runCli([...args, '--steps', '25', '--save-every', '11', '--keep', '20', '--out', 'snap'], { cwd: dir });
    expect(whole.code, whole.stderr).toBe(0);
    const r = await runCli(['train', 'corpus.txt', '--resume', join('snap', 'step-00000011.json'), '--out', 'snap-resumed', '-q'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const a = loadCheckpoint(join(dir, 'snap', 'latest.json'));
    const b = loadCheckpoint(join(dir, 'snap-resumed', 'latest.json'));
    expect(a.config.lrSchedule).toBe('cosine');
    expect(b.progress.step).toBe(25);
    expect(b.tensors.map(bits)).toEqual(a.tensors.map(bits));
    for (const slot of ['exp_avg', 'exp_avg_sq']) expect(b.optimizer!.slots[slot].map(bits)).toEqual(a.optimizer!.slots[slot].map(bits));
  });

  it('a resumed run given no budget continues towards the targets it was started with', async () => {
    const done = await runCli(['train', 'corpus.txt', '--resume', ckpt, '--out', 'again'], { cwd: dir });
    expect(done.code).toBe(2);
    expect(done.stderr).toMatch(/^charnn: nothing to train: the run already reached its budget \(step 30, epoch \d+\) \(give --steps, --epochs or --time/);
    // as if the run had been interrupted at step 30 of 36
    // (rewritten through the codec: the checksum covers the config, so a hand edit would be refused)
    const cut = loadCheckpoint(join(dir, ckpt));
    cut.config.untilStep = 36;
    writeFileSync(join(dir, 'cut.json'), checkpointToText(cut));
    const r = await runCli(['train', 'corpus.txt', '--resume', 'cut.json', '--out', 'again', '-q'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(loadCheckpoint(join(dir, 'again', 'latest.json')).progress.step).toBe(36);
  });

  it('refuses another corpus unless --force', async () => {
    const r = await runCli(['train', 'other.txt', '--resume', ckpt, '--steps', '2', '--out', 'forced'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^charnn: cannot resume: the corpus differs from the one the checkpoint was trained on .*\(pass the same corpus, or add --force/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(existsSync(join(dir, 'forced'))).toBe(false);
    const f = await runCli(['train', 'other.txt', '--resume', ckpt, '--steps', '2', '--out', 'forced', '--force', '-q'], { cwd: dir });
    expect(f.code).toBe(0);
    expect(loadCheckpoint(join(dir, 'forced', 'latest.json')).progress.step).toBe(32);
  });

  it('refuses to change the model shape of a resumed run', async () => {
    const r = await runCli(['train', 'corpus.txt', '--resume', ckpt, '--hidden', '64'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^charnn: cannot resume: --hidden 64 differs from the checkpoint's 12/);
  });
});

describe('checkpoints through the CLI', () => {
  it('info shows config, progress, best val and the loss curve', async () => {
    const r = await runCli(['info', ckpt], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/model\s+gru, 2 layers x 12 hidden/);
    expect(r.stdout).toMatch(/training\s+step 30/);
    expect(r.stdout).toMatch(/best val\s+\d\.\d{4} nats/);
    expect(r.stdout).toMatch(/loss curve/);
    expect(r.stdout).toMatch(/└─+/);
  });

  it('eval without a text reproduces the validation loss training reported', async () => {
    const c = loadCheckpoint(join(dir, ckpt));
    const r = await runCli(['eval', ckpt], { cwd: dir });
    expect(r.code).toBe(0);
    const last = c.progress.lossHistory.filter((p) => p.val !== undefined).at(-1)!;
    expect(r.stdout).toContain(`${last.val!.toFixed(4)} nats/char`);
    const s = await runCli(['eval', ckpt, '-'], { cwd: dir, input: 'the lazy dog runs home.\n' });
    expect(s.stdout).toMatch(/^\d+\.\d{4} nats\/char, \d+\.\d{4} bits\/char over \d+ characters of standard input \(every character after the first: one stream from the zero state, windows of \d+ with the state carried\)\n$/);
  });

  const bad: Array<[string, (good: string) => string, RegExp]> = [
    ['truncated', (g) => g.slice(0, g.length >> 1), /the file is truncated/],
    ['not JSON', () => 'hello', /the file is not JSON/],
    ['another JSON document', () => '{"name":"x"}', /not a charnn checkpoint/],
    ['newer version', (g) => JSON.stringify({ ...JSON.parse(g), version: 7, charnn: '9.9.9' }), /format version 7 \(written by charnn 9\.9\.9\).*\(upgrade charnn to 9\.9\.9 or later/],
    ['checksum mismatch', (g) => {
      const d = JSON.parse(g);
      const t = d.tensors['decoder.bias'];
      t.data = (t.data[0] === 'A' ? 'B' : 'A') + t.data.slice(1);
      return JSON.stringify(d);
    }, /checksum mismatch/],
  ];
  for (const [name, make, msg] of bad) {
    it(`rejects a ${name} checkpoint with one clear line`, async () => {
      writeFileSync(join(dir, 'bad.json'), make(readFileSync(join(dir, ckpt), 'utf8')));
      const r = await runCli(['sample', 'bad.json', '--length', '5'], { cwd: dir });
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/^charnn: cannot load checkpoint bad\.json: /);
      expect(r.stderr).toMatch(msg);
    });
  }
});

describe('command-line errors', () => {
  const cases: Array<[string[], RegExp]> = [
    [['train', 'corpus.txt', '--hidden', 'abc'], /^charnn: invalid option: --hidden "abc": not a number \(see charnn train --help\)$/],
    [['train', 'corpus.txt', '--dropout', '1'], /^charnn: invalid option: --dropout "1": must be in \[0, 1\)/],
    [['train', 'corpus.txt', '--cell', 'transformer'], /^charnn: invalid option: --cell "transformer": must be one of lstm, gru, rnn/],
    [['train', 'corpus.txt', '--time', 'soon'], /^charnn: invalid option: --time "soon": must be a duration/],
    [['train', 'corpus.txt', '--bogus'], /^charnn: invalid usage: unknown option '--bogus'/],
    [['sample', 'x.json', '--temp', '-1'], /^charnn: invalid option: --temp "-1": must be at least 0/],
    [['sample', 'x.json', '--top-p', '0'], /^charnn: invalid option: --top-p "0": must be in \(0, 1\]/],
    [['sample', 'x.json', '--length'], /^charnn: invalid option: --length needs a value/],
    [['train', 'corpus.txt', '--lr-schedule', 'cosine', '--time', '0'], /^charnn: invalid options: the cosine schedule needs a budget to decay over \(add --time, --steps or --epochs\)$/],
  ];
  for (const [args, msg] of cases) {
    it(args.slice(1).join(' '), async () => {
      const r = await runCli(args, { cwd: dir });
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim()).toMatch(msg);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    });
  }

  it('no command shows the help on stderr and exits 2; --help and --version exit 0 on stdout', async () => {
    const r = await runCli([], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^Usage: charnn/);
    expect(r.stderr).not.toMatch(/charnn: /);
    const h = await runCli(['train', '--help'], { cwd: dir });
    expect(h.code).toBe(0);
    expect(h.stdout).toMatch(new RegExp(`--hidden <n>\\s+hidden units per layer \\(default: ${TRAIN.hidden.default}\\)`));
    const v = await runCli(['--version'], { cwd: dir });
    expect(v.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('a prime with unseen characters is named, or skipped with --skip-unknown', async () => {
    const r = await runCli(['sample', ckpt, '--prime', 'the QX', '--length', '20'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(
      'charnn: cannot use the prime: the prime has 2 characters the model never saw: "Q" (U+0051), "X" (U+0058) (remove them, or pass --skip-unknown to drop them)',
    );
    const s = await runCli(['sample', ckpt, '--prime', 'the QX', '--length', '20', '--skip-unknown'], { cwd: dir });
    expect(s.code).toBe(0);
    expect(s.stdout.startsWith('the ')).toBe(true);
    expect([...s.stdout].length).toBe(20);
  });

  it('a prime longer than --length is refused', async () => {
    const r = await runCli(['sample', ckpt, '--prime', 'the lazy dog', '--length', '5'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^charnn: cannot sample: the prime has 12 characters, more than --length 5/);
  });
});

describe('divergence', () => {
  it('an exploding loss stops training with a message, and a run that saved nothing leaves no folder', async () => {
    const r = await runCli(['train', 'corpus.txt', ...TINY, '--hidden', '32', '--lr', '50', '--clip', '0', '--steps', '50', '--on-diverge', 'stop', '--out', 'diverged/run'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^charnn: training stopped at step \d+: the loss .* exceeds 3 times the first loss .*\(no checkpoint was written\)$/m);
    expect(existsSync(join(dir, 'diverged'))).toBe(false);
  });
});

describe('interruption', () => {
  it('Ctrl-C finishes the step, saves, prints the path and exits 130', async () => {
    let sent = false;
    const r = await runCli(['train', 'corpus.txt', ...TINY, '--time', '60s', '--out', 'intr'], {
      cwd: dir,
      onSpawn: (child) => {
        // interrupt once training has visibly started
        child.stderr!.on('data', (d: Buffer) => {
          if (!sent && /step \d+/.test(d.toString())) {
            sent = true;
            setTimeout(() => child.kill('SIGINT'), 300);
          }
        });
      },
    });
    expect(sent).toBe(true);
    expect(r.code).toBe(130);
    expect(r.stdout.trim()).toBe(join('intr', 'latest.json'));
    expect(r.stderr).toMatch(/Ctrl-C: finishing this step and saving/);
    expect(r.stderr).toMatch(/interrupted: step \d+/);
    const c = loadCheckpoint(join(dir, 'intr', 'latest.json'));
    expect(c.progress.step).toBeGreaterThan(0);
  });
});

describe('wasm backend builds on the command line', () => {
  it('train names the build it runs (relaxed SIMD by default, SIMD128 with --simd simd128); both train the same model to float32 rounding', async () => {
    const args = ['train', 'corpus.txt', '--hidden', '12', '--batch', '4', '--seq', '16', '--steps', '5', '--backend', 'wasm', '--threads', '2', '--seed', '4'];
    const [fma, plain] = await Promise.all([
      runCli([...args, '--out', 'wasm-auto'], { cwd: dir }),
      runCli([...args, '--simd', 'simd128', '--out', 'wasm-128'], { cwd: dir }),
    ]);
    expect(fma.code).toBe(0);
    expect(plain.code).toBe(0);
    expect(fma.stderr).toMatch(/wasm backend \(relaxed-simd, 2 threads\)/);
    expect(plain.stderr).toMatch(/wasm backend \(simd128, 2 threads\)/);
    const a = loadCheckpoint(join(dir, 'wasm-auto', 'latest.json')).tensors;
    const b = loadCheckpoint(join(dir, 'wasm-128', 'latest.json')).tensors;
    let maxDiff = 0;
    a.forEach((t, i) => t.data.forEach((v, j) => (maxDiff = Math.max(maxDiff, Math.abs(v - b[i].data[j])))));
    expect(maxDiff).toBeLessThan(1e-4); // 5 Adam steps from the same weights: rounding only
  });

  it('an unknown --simd is a usage error (exit 2, one line)', async () => {
    const r = await runCli(['train', 'corpus.txt', '--simd', 'fast', '--steps', '1'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/--simd.*must be one of auto, relaxed, simd128/);
  });
});
