/**
 * `charnn corpus list` and `charnn corpus get NAME`. stdout carries data only (the table; the fetched path);
 * progress goes to stderr: a cli-progress bar when stderr is a TTY, else one plain line per source tried.
 */
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { cacheDirs, cachedPath } from '../corpus/cache.js';
import { CorpusError } from '../corpus/errors.js';
import { findCorpus, loadRegistry, type Registry } from '../corpus/registry.js';
import { fetchRegistryCorpus, type ResolveOptions } from '../corpus/resolve.js';
import { isVerified } from '../corpus/verify.js';
import { humanBytes } from '../commands/format.js';

type Out = NodeJS.WritableStream & { isTTY?: boolean };

/** Injectable streams and environment (tests drive the commands in-process). */
export interface CorpusCliIo {
  stdout: Out;
  stderr: Out;
  env: NodeJS.ProcessEnv;
  /** Records a failing exit status (default: sets process.exitCode; never process.exit, so stdout drains). */
  setExitCode: (code: number) => void;
}

function defaultIo(io: Partial<CorpusCliIo>): CorpusCliIo {
  return {
    stdout: io.stdout ?? process.stdout,
    stderr: io.stderr ?? process.stderr,
    env: io.env ?? process.env,
    setExitCode: io.setExitCode ?? ((code) => void (process.exitCode = code)),
  };
}

/** 1115394 -> "1.1 MB" (decimal units, as download sizes are usually shown): run/io.ts, shared with the run's progress. */
export { humanBytes };

/**
 * Progress reporting for a corpus fetch, for `corpus get` and for `train NAME` (the CLI passes the returned
 * callbacks into resolveCorpus). Call `stop()` when done, success or not, to release the terminal line. `quiet`
 * (--quiet): neither status lines nor a bar.
 */
export function corpusProgress(stderr: Out = process.stderr, quiet = false): Required<Pick<ResolveOptions, 'onProgress' | 'onStatus'>> & {
  stop(): void;
} {
  let bar: cliProgress.SingleBar | undefined;
  let label = 'corpus';
  return {
    onStatus(message) {
      label = message;
      if (bar) {
        bar.stop();
        bar = undefined;
      }
      if (!stderr.isTTY && !quiet) stderr.write(`charnn: ${message}\n`);
    },
    onProgress(bytes, total) {
      if (!stderr.isTTY || quiet) return;
      if (!bar) {
        bar = new cliProgress.SingleBar(
          {
            stream: stderr,
            format: `{bar} {percentage}% | {got} of {size} | ${label}`,
            hideCursor: true,
            clearOnComplete: true,
          },
          cliProgress.Presets.shades_classic,
        );
        bar.start(total, 0, { got: humanBytes(0), size: humanBytes(total) });
      }
      bar.update(bytes, { got: humanBytes(bytes) });
    },
    stop() {
      bar?.stop();
      bar = undefined;
    },
  };
}

/** Left-aligned text table, columns separated by two spaces. */
function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!))).join('  ')).join('\n') + '\n';
}

async function isCached(reg: Registry, name: string, opts: ResolveOptions): Promise<boolean> {
  const entry = findCorpus(reg, name)!;
  for (const dir of cacheDirs(opts)) if (await isVerified(cachedPath(dir, entry), entry)) return true;
  return false;
}

function fail(io: CorpusCliIo, err: unknown): void {
  // Our errors are already one clear line; anything else is unexpected, so keep its message too.
  const msg = err instanceof CorpusError ? err.message : `corpus command failed: ${(err as Error)?.message ?? err}`;
  io.stderr.write(`charnn: ${msg}\n`);
  io.setExitCode(1);
}

export function registerCorpusCommands(program: Command, ioIn: Partial<CorpusCliIo> = {}): void {
  const io = defaultIo(ioIn);
  const base = (): ResolveOptions => ({ env: io.env });
  const corpus = program
    .command('corpus')
    .description('list and fetch well-known public corpora (verified by size and SHA-256)');

  corpus
    .command('list')
    .description('show the registered corpora, their size, and whether they are cached')
    .action(async () => {
      try {
        const opts = base();
        const reg = loadRegistry(io.env.CHARNN_CORPUS_REGISTRY || undefined);
        const rows = [['NAME', 'SIZE', 'CACHED', 'SOURCE']];
        for (const e of reg.corpora) {
          rows.push([
            e.name + (e.name === reg.default ? ' (default)' : ''),
            humanBytes(e.bytes),
            (await isCached(reg, e.name, opts)) ? 'yes' : 'no',
            e.source,
          ]);
        }
        io.stdout.write(table(rows));
      } catch (err) {
        fail(io, err);
      }
    });

  corpus
    .command('get')
    .description('fetch a corpus into the cache (or find it there), verify it, and print its path')
    .argument('<name>', 'a name from `charnn corpus list`')
    .option('--mirror <folder|url>', 'fetch from this folder or base URL first (default: $CHARNN_CORPUS_MIRROR)')
    .action(async (name: string, cmdOpts: { mirror?: string }) => {
      const progress = corpusProgress(io.stderr);
      try {
        const reg = loadRegistry(io.env.CHARNN_CORPUS_REGISTRY || undefined);
        const entry = findCorpus(reg, name);
        if (!entry)
          throw new CorpusError(
            'not-found',
            `unknown corpus ${name} (one of: ${reg.corpora.map((e) => e.name).join(', ')}; see \`charnn corpus list\`)`,
          );
        const opts: ResolveOptions = { ...base(), registry: reg, ...progress };
        if (cmdOpts.mirror !== undefined) opts.mirror = cmdOpts.mirror;
        const got = await fetchRegistryCorpus(entry, opts);
        progress.stop();
        io.stdout.write(`${got.path}\n`);
      } catch (err) {
        progress.stop();
        fail(io, err);
      }
    });
}
