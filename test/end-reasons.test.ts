/**
 * Two reports that say what happened: a `/v1/sample` stream cut by its stop string ends with reason "stop" whether
 * it ran batched or as the sample command's generator (banned strings), and `eval --json` of a line-mode model is
 * one JSON object like any other model's (protocol "lines", with its line count).
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runCli, tempDir } from './helpers/cli.js';
import { parseEvents, postSample, startServer, textOf, type ServerProcess } from './helpers/serve.js';

const BUNDLED = join(ROOT, 'checkpoints', 'pretrained', 'tinyshakespeare.json');
let dir: string;
let cleanup: () => void;
let s: ServerProcess;
beforeAll(async () => {
  ({ dir, cleanup } = tempDir({ 'names.txt': ['anna', 'bob', 'carl', 'dora', 'emil', 'fred', 'gina', 'hugo', 'ida', 'jon'].map((n) => n + '\n').join('').repeat(8) }));
  s = await startServer([BUNDLED], dir);
}, 60_000);
afterAll(async () => {
  await s?.stop();
  cleanup?.();
});

describe('end reasons', () => {
  it('a stream cut by its stop string ends with reason "stop", batched or not', async () => {
    for (const body of [
      { prime: 'ROMEO:', stopAt: '\n\n', length: 600, seed: 7, temp: 0.5 },
      { prime: 'ROMEO:', stopAt: '\n\n', ban: ['qq'], length: 600, seed: 7, temp: 0.5 }, // bans: the command's generator
    ]) {
      const r = await postSample(s.url, body);
      expect(r.status).toBe(200);
      const events = parseEvents(r.body);
      const end = events.find((e) => e.event === 'end')!;
      expect(end.data.reason, JSON.stringify(body)).toBe('stop');
      const text = textOf(events);
      expect(text.endsWith('\n\n')).toBe(true);
      expect(end.data.chars).toBe([...text].length);
    }
  });

  it('eval --json of a line-mode model prints one JSON object', async () => {
    const t = await runCli(['train', 'names.txt', '--lines', '--hidden', '16', '--layers', '1', '--steps', '20', '--batch', '8', '--seq', '16', '--out', 'run', '-q'], { cwd: dir });
    expect(t.code, t.stderr).toBe(0);
    const line = await runCli(['eval', 'run', 'names.txt'], { cwd: dir });
    const r = await runCli(['eval', 'run', 'names.txt', '--json'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.protocol).toBe('lines');
    expect(j.lines).toBe(80);
    expect(line.stdout).toContain(`${j.nats.toFixed(4)} nats/char`);
    expect(line.stdout).toContain(`over ${j.chars.toLocaleString('en-US')} characters (80 lines, end tokens included)`);
  });
});
