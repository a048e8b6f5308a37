/**
 * `sample --prime-file` reads at most 16 MB: an endless file or a device is one clear line and exit 1, never read
 * to exhaustion; a FIFO (`--prime-file <(...)`) and a plain file still work.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runCli, tempDir } from './helpers/cli.js';

const BUNDLED = join(ROOT, 'checkpoints', 'pretrained', 'tinyshakespeare.json');
let dir: string;
let cleanup: () => void;
beforeAll(() => ({ dir, cleanup } = tempDir()));
afterAll(() => cleanup());

describe('sample --prime-file', () => {
  it('refuses a device and a file over 16 MB in one line, and reads a plain file', async () => {
    const dev = await runCli(['sample', BUNDLED, '--prime-file', '/dev/zero', '--length', '10'], { cwd: dir });
    expect(dev.code).toBe(1);
    expect(dev.stderr.trim()).toBe('charnn: cannot read the prime file /dev/zero: it is a device, not a text file');
    writeFileSync(join(dir, 'big.txt'), 'a'.repeat((16 << 20) + 1));
    const big = await runCli(['sample', BUNDLED, '--prime-file', 'big.txt', '--length', '10'], { cwd: dir });
    expect(big.code).toBe(1);
    expect(big.stderr.trim()).toMatch(/^charnn: cannot read the prime file big\.txt: it holds more than 16 MB/);
    writeFileSync(join(dir, 'prime.txt'), 'ROMEO:');
    const ok = await runCli(['sample', BUNDLED, '--prime-file', 'prime.txt', '--length', '20', '--seed', '1'], { cwd: dir });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout.startsWith('ROMEO:')).toBe(true);
    expect([...ok.stdout]).toHaveLength(20);
  });
});
