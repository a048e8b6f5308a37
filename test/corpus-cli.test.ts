import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { corpusProgress } from '../src/cli/corpus-progress.js';
import { getCorpus, listCorpora, reportCorpusGet, reportCorpusList } from '../src/commands/corpus.js';
import { humanBytes } from '../src/commands/format.js';
import { quietIo } from '../src/commands/io.js';
import { exitCodeOf, formatError } from '../src/errors.js';
import { closedPort, sampleText, serveBytes, startServer, type TestServer } from './helpers/corpus-server.js';

const demo = sampleText(30_000);
const other = sampleText(2_000, 'Call me Ishmael.\n');
let server: TestServer;
let tmp: string;

class Capture extends Writable {
  text = '';
  constructor(readonly isTTY: boolean) {
    super();
  }
  override _write(chunk: Buffer, _enc: string, cb: () => void): void {
    this.text += chunk.toString();
    cb();
  }
  // cli-progress moves the cursor on a TTY stream; a capture just records the escape codes.
  cursorTo(_x: number, _y?: number, cb?: () => void): boolean {
    cb?.();
    return true;
  }
  clearLine(_dir: number, cb?: () => void): boolean {
    cb?.();
    return true;
  }
  moveCursor(_dx: number, _dy: number, cb?: () => void): boolean {
    cb?.();
    return true;
  }
  columns = 100;
}

/** `charnn corpus list|get NAME [--mirror DIR]` in-process: the command functions with an io port whose data and
 *  download progress land in captures, and the error line and exit code main would give. */
async function run(args: string[], env: NodeJS.ProcessEnv, tty = false) {
  const stdout = new Capture(false);
  const stderr = new Capture(tty);
  const progress = corpusProgress(stderr as unknown as NodeJS.WriteStream);
  const io = { ...quietIo({ cwd: tmp, env }), out: { write: async (t: string) => (stdout.text += t, true) }, corpusStatus: progress.onStatus, corpusProgress: progress.onProgress };
  let code = 0;
  try {
    if (args[1] === 'list') await reportCorpusList(await listCorpora(io), io);
    else await reportCorpusGet(await getCorpus(args[2], { mirror: args[3] === '--mirror' ? args[4] : '' }, io), io);
  } catch (e) {
    stderr.text += formatError(e) + '\n';
    code = exitCodeOf(e);
  } finally {
    progress.stop();
  }
  return { out: stdout.text, err: stderr.text, code };
}

beforeAll(async () => {
  server = await startServer();
  server.route('/demo.txt', serveBytes(demo.body));
  server.route('/other.txt', serveBytes(other.body));
});
afterAll(() => server.close());
beforeEach(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'charnn-cli-corpus-'));
});
afterEach(() => rm(tmp, { recursive: true, force: true }));

async function writeRegistry(base: string): Promise<string> {
  const p = join(tmp, 'registry.json');
  await writeFile(
    p,
    JSON.stringify({
      version: 1,
      default: 'demo',
      corpora: [
        { name: 'demo', url: `${base}/demo.txt`, bytes: demo.bytes, sha256: demo.sha256, source: 'loopback test' },
        { name: 'other', url: `${base}/other.txt`, bytes: other.bytes, sha256: other.sha256, source: 'elsewhere' },
      ],
    }),
  );
  return p;
}

describe('charnn corpus', () => {
  it('get prints the verified cached path on stdout only; list then shows it cached', async () => {
    const env = { CHARNN_CORPUS_REGISTRY: await writeRegistry(server.base), CHARNN_CORPUS_CACHE: join(tmp, 'c') };
    const before = await run(['corpus', 'list'], env);
    expect(before.out).toBe(
      [
        'NAME            SIZE    CACHED  SOURCE',
        'demo (default)  30 kB   no      loopback test',
        'other           2.0 kB  no      elsewhere',
        '',
      ].join('\n'),
    );

    const got = await run(['corpus', 'get', 'demo'], env);
    expect(got).toMatchObject({ out: `${join(tmp, 'c', 'demo.txt')}\n`, code: 0 });
    expect(got.err).toBe(`charnn: downloading demo from ${server.base}/demo.txt\n`); // not a TTY: one plain line

    const after = await run(['corpus', 'list'], env);
    expect(after.out.split('\n')[1]).toBe('demo (default)  30 kB   yes     loopback test');
  });

  it('get draws a progress bar on a TTY stderr', async () => {
    const env = { CHARNN_CORPUS_REGISTRY: await writeRegistry(server.base), CHARNN_CORPUS_CACHE: join(tmp, 'c') };
    const got = await run(['corpus', 'get', 'demo'], env, true);
    expect(got.code).toBe(0);
    expect(got.err).toMatch(/\b100% \| 30 kB of 30 kB \| downloading demo/);
  });

  it('get with --mirror uses the folder', async () => {
    const env = {
      CHARNN_CORPUS_REGISTRY: await writeRegistry(`http://127.0.0.1:${await closedPort()}`),
      CHARNN_CORPUS_CACHE: join(tmp, 'c'),
    };
    await mkdir(join(tmp, 'm'));
    await writeFile(join(tmp, 'm', 'other.txt'), other.body);
    const got = await run(['corpus', 'get', 'other', '--mirror', join(tmp, 'm')], env);
    expect(got).toMatchObject({ out: `${join(tmp, 'c', 'other.txt')}\n`, code: 0 });
  });

  it('offline: exit 1, one charnn: line with the hint, nothing on stdout or in the cache', async () => {
    const env = {
      CHARNN_CORPUS_REGISTRY: await writeRegistry(`http://127.0.0.1:${await closedPort()}`),
      CHARNN_CORPUS_CACHE: join(tmp, 'c'),
    };
    const got = await run(['corpus', 'get', 'demo'], env);
    expect(got.code).toBe(1);
    expect(got.out).toBe('');
    const lines = got.err.trimEnd().split('\n');
    expect(lines[lines.length - 1]).toMatch(/^charnn: cannot get corpus demo: .*charnn train - < FILE/);
    expect(await readdir(join(tmp, 'c'))).toEqual([]);
  });

  it('an unknown name: exit 1 and the list of names', async () => {
    const env = { CHARNN_CORPUS_REGISTRY: await writeRegistry(server.base), CHARNN_CORPUS_CACHE: join(tmp, 'c') };
    const got = await run(['corpus', 'get', 'nope'], env);
    expect(got).toEqual({
      out: '',
      err: 'charnn: unknown corpus nope (one of: demo, other; see `charnn corpus list`)\n',
      code: 1,
    });
  });

  it('status lines (copying from a mirror, downloading) go to a plain stderr, and nowhere under --quiet', () => {
    for (const quiet of [false, true]) {
      for (const tty of [false, true]) {
        const err = new Capture(tty);
        const p = corpusProgress(err as unknown as NodeJS.WriteStream, quiet);
        p.onStatus('copying demo from mirror /m/demo.txt');
        p.onProgress(10, 100);
        p.onProgress(100, 100);
        p.stop();
        if (quiet) expect(err.text, `tty ${tty}`).toBe('');
        else if (!tty) expect(err.text).toBe('charnn: copying demo from mirror /m/demo.txt\n');
        else expect(err.text).toContain('copying demo from mirror');
      }
    }
  });

  it('formats sizes in decimal units', () => {
    expect([999, 1000, 144_395, 1_115_394, 4_332_554, 12_000_000_000].map(humanBytes)).toEqual([
      '999 B',
      '1.0 kB',
      '144 kB',
      '1.1 MB',
      '4.3 MB',
      '12 GB',
    ]);
  });
});
