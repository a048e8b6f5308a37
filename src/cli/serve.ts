/**
 * `charnn serve [checkpoint...]`: the playground page and the streaming HTTP API (src/serve/) for the
 * checkpoints given (default: the one `sample` would use). The URL goes to stdout, everything else to stderr.
 * SIGINT/SIGTERM let open streams finish for --grace, then the command exits 0; a second signal cuts them.
 */
import type { Command } from 'commander';
import { loadCheckpoint } from '../checkpoint/io.js';
import { createKernels } from '../math/backend.js';
import type { Kernels } from '../math/kernels.js';
import { CharnnServer, isLoopback } from '../serve/http.js';
import { serveModel, uniqueNames, type ServedModel } from '../serve/models.js';
import { loadAssets } from '../serve/static.js';
import { attempt, attemptSync, CharnnError, EXIT, formatError } from '../errors.js';
import { displayPath, findDefaultCheckpoint } from './inputs.js';
import { addOptions, COMMON, readOptions, SERVE } from './options.js';
import { backendOptions } from '../commands/common/backend.js';
import { human, Ui } from './ui.js';

export function registerServe(program: Command): void {
  const cmd = program
    .command('serve')
    .description('a playground page and a streaming HTTP API on 127.0.0.1; prints the URL on stdout')
    .argument('[checkpoint...]', 'checkpoints to serve (default: the one charnn sample would use)');
  addOptions(cmd, SERVE);
  addOptions(cmd, COMMON);
  cmd.action(async (paths: string[], _o: unknown, self: Command) => {
    const common = readOptions(self, COMMON).values;
    const ui = new Ui({ color: common.color, quiet: common.quiet, verbose: common.verbose });
    const held: { kernels?: Kernels } = {};
    try {
      process.exitCode = await serve(paths, self, ui, held);
    } finally {
      held.kernels?.dispose();
    }
  });
}

async function serve(pathArgs: string[], cmd: Command, ui: Ui, held: { kernels?: Kernels }): Promise<number> {
  // plan: which checkpoints, under which names, on which address
  const { values: o } = readOptions(cmd, SERVE);
  let paths = pathArgs;
  if (!paths.length) {
    const found = findDefaultCheckpoint();
    if (!found) throw new CharnnError('no checkpoint given and none found under ./checkpoints/', 'train one first: charnn train FILE, then charnn serve', 'cannot serve');
    paths = [found.path];
    ui.info(`serving ${displayPath(found.path)} (${found.why})`);
  }
  const names = uniqueNames(paths);
  const exposed = !isLoopback(o.host);

  // set up: one backend, every model on it (each loaded once, its weights shared by all its streams)
  const checkpoints = paths.map((p) => loadCheckpoint(p));
  const kernels = await attempt(`cannot start the ${o.backend} backend`, () => createKernels(o.backend, backendOptions(o, process.env)));
  held.kernels = kernels;
  const models: ServedModel[] = checkpoints.map((c, i) => attemptSync(`cannot load checkpoint ${paths[i]}`, () => serveModel(kernels, names[i], c, o.maxStreams)));
  const assets = attemptSync('cannot read the page files', () => loadAssets());
  const server = new CharnnServer(models, assets, { host: o.host, port: o.port, maxStreams: o.maxStreams, maxLength: o.maxLength, graceMs: o.grace * 1000 }, (e) =>
    ui.error(formatError(e), (e as Error)?.stack),
  );

  // run: listen, print the URL, serve until a signal
  const url = await server.listen().catch((e: NodeJS.ErrnoException) => {
    throw listenError(e, o.host, o.port);
  });
  if (exposed) {
    ui.warn(
      `listening on ${o.host}: anyone who can reach this machine on port ${new URL(url).port} can use the page and the API ` +
        `(generate text with ${models.map((m) => m.name).join(', ')} and take its CPU time); there is no password or TLS`,
    );
  }
  for (const m of models) ui.info(`model ${m.name}: ${m.card.cell} ${m.card.layers}x${m.card.hidden}, ${human(m.card.params)} parameters`);
  ui.info(`up to ${o.maxStreams} streams of at most ${o.maxLength} characters; Ctrl-C to stop`);
  // the handlers go in before the URL is printed: whoever reads it may signal at once
  const stopped = new Promise<void>((resolve) => {
    let stopping = false;
    const onSignal = (sig: NodeJS.Signals) => {
      if (stopping) {
        ui.info(`${sig} again: cutting ${server.streams} open stream${server.streams === 1 ? '' : 's'}`);
        server.abort();
        return;
      }
      stopping = true;
      const n = server.streams;
      ui.info(`${sig}: stopping${n ? `; ${n} open stream${n === 1 ? '' : 's'} may finish within ${o.grace}s` : ''}`);
      server.close().then(resolve, resolve);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  process.stdout.write(url + '\n');
  await stopped;

  // report
  ui.info(`stopped: ${human(server.engine.generated)} characters generated`);
  return EXIT.OK;
}

function listenError(e: NodeJS.ErrnoException, host: string, port: number): CharnnError {
  const at = `${host}:${port}`;
  if (e.code === 'EADDRINUSE') return new CharnnError(`port ${port} on ${host} is in use`, 'pick another with --port, or --port 0 for any free one', `cannot listen on ${at}`);
  if (e.code === 'EACCES') return new CharnnError(`not allowed to use port ${port}`, 'ports below 1024 need privileges: pick one above', `cannot listen on ${at}`);
  if (e.code === 'EADDRNOTAVAIL' || e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN') {
    return new CharnnError(`${host} is not an address of this machine`, 'use 127.0.0.1, or 0.0.0.0 for every interface', `cannot listen on ${at}`);
  }
  return new CharnnError(e.message, undefined, `cannot listen on ${at}`);
}
