import { mkdtempSync, writeFileSync, chmodSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { readCorpus } from '../src/corpus/read.js';

const dir = mkdtempSync(join(tmpdir(), 'charnn-corpus-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('readCorpus', () => {
  it('reads a file as bytes', async () => {
    const p = join(dir, 'a.txt');
    writeFileSync(p, 'héllo\n');
    const bytes = await readCorpus(p);
    expect(Buffer.from(bytes).toString('utf8')).toBe('héllo\n');
  });

  it('reads - from the given stream (chunks concatenated)', async () => {
    const bytes = await readCorpus('-', Readable.from([Buffer.from('ab'), Buffer.from([0xc3]), Buffer.from([0xa9])]));
    expect(Buffer.from(bytes).toString('utf8')).toBe('abé');
  });

  it('gives clear errors for missing, directory, empty and empty stdin', async () => {
    await expect(readCorpus(join(dir, 'nope.txt'))).rejects.toThrow(/nope\.txt does not exist \(check the path\)/);
    await expect(readCorpus(dir)).rejects.toThrow(/is a directory/);
    const empty = join(dir, 'empty.txt');
    writeFileSync(empty, '');
    await expect(readCorpus(empty)).rejects.toThrow(/empty\.txt is empty/);
    await expect(readCorpus('-', Readable.from([]))).rejects.toThrow(/stdin is empty/);
    await expect(readCorpus('')).rejects.toThrow(/no corpus path/);
  });

  it.skipIf(process.getuid?.() === 0)('reports an unreadable file', async () => {
    const p = join(dir, 'secret.txt');
    writeFileSync(p, 'x');
    chmodSync(p, 0o000);
    await expect(readCorpus(p)).rejects.toThrow(/not readable: permission denied/);
  });
});
