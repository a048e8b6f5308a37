/**
 * `serve`: the checkpoints given (default: the one `sample` would use) behind the page and the HTTP API, as its
 * phases: plan (which checkpoints, under which names, on which address), set up (one backend, every model loaded
 * once on it, the server listening), run (until the caller closes it: the CLI on a signal), report. The requests
 * themselves are planned by the sample command (request.ts).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadCheckpoint } from '../checkpoint/io.js';
import { startBackend } from '../commands/common/backend.js';
import { locateCheckpoint } from '../commands/common/checkpoint-arg.js';
import { human } from '../commands/format.js';
import type { Io } from '../commands/io.js';
import { attemptSync, CharnnError } from '../errors.js';
import { displayPath } from '../fs-probe.js';
import type { Kernels } from '../math/kernels.js';
import type { SERVE, Values } from '../options.js';
import { CharnnServer, isLoopback } from './http.js';
import { serveModel, uniqueNames } from './models.js';
import { loadAssets } from './static.js';

export interface ServeInput {
  checkpoints: string[];
  values: Values<typeof SERVE>;
  given: ReadonlySet<keyof Values<typeof SERVE>>;
  /** where internal errors (bugs, never a client's mistake) are reported */
  onInternalError?: (e: unknown) => void;
}

/** A running server: its URL, and how to stop it. */
export interface Serving {
  url: string;
  server: CharnnServer;
  /** stop: open streams may finish for --grace (now: at once); then the backend goes and the report is said */
  close(now?: boolean): Promise<void>;
}

export async function startServing({ checkpoints, values: o, given, onInternalError }: ServeInput, io: Io): Promise<Serving> {
  // plan: which checkpoints, under which names, on which address
  const paths = checkpoints.length ? checkpoints.map((p) => locateCheckpoint(p, io, 'cannot serve')) : [locateCheckpoint(undefined, io, 'cannot serve')];
  const shown = checkpoints.length ? checkpoints : paths.map((p) => displayPath(p, io.cwd));
  const names = uniqueNames(paths);
  const exposed = !isLoopback(o.host);
  const apiKey = readKey(o, io);
  if (exposed && !apiKey && !o.insecureNoKey) {
    throw CharnnError.usage(`--host ${o.host} without an API key`, 'give --api-key KEY, --api-key-file FILE or CHARNN_API_KEY (or --insecure-no-key to serve anyone who reaches the port)', 'cannot serve');
  }

  // set up: one backend, every model on it (each loaded once, its weights shared by all its streams)
  const loaded = paths.map((p, i) => loadCheckpoint(p, shown[i]));
  const kernels: Kernels = await startBackend(o, given.has('backend'), io);
  let url: string;
  let server: CharnnServer;
  try {
    const models = loaded.map((c, i) => attemptSync(`cannot load checkpoint ${shown[i]}`, () => serveModel(kernels, names[i], c, o.maxStreams)));
    const assets = attemptSync('cannot read the page files', () => loadAssets());
    server = new CharnnServer(models, assets, {
        host: o.host,
        port: o.port,
        maxStreams: o.maxStreams,
        maxLength: o.maxLength,
        graceMs: o.grace * 1000,
        apiKey,
        corsOrigins: o.corsOrigin,
        metrics: o.metrics,
        writeTimeoutMs: o.writeTimeout * 1000,
        maxConnections: o.maxConnections,
        requestTimeoutMs: Math.max(1000, o.requestTimeout * 1000),
      }, onInternalError);
    url = await server.listen().catch((e: NodeJS.ErrnoException) => {
      throw listenError(e, o.host, o.port);
    });
    if (exposed) {
      io.warn(
        apiKey
          ? `listening on ${o.host}: the API needs the key; the page's files are public and there is no TLS (the key crosses the network in clear)`
          : `listening on ${o.host}: anyone who can reach this machine on port ${new URL(url).port} can use the page and the API ` +
              `(generate text with ${models.map((m) => m.name).join(', ')} and take its CPU time); there is no password or TLS (--insecure-no-key)`,
      );
    }
    for (const m of models) io.info(`model ${m.name}: ${m.card.cell} ${m.card.layers}x${m.card.hidden}, ${human(m.card.params)} parameters`);
    io.info(`up to ${o.maxStreams} streams of at most ${o.maxLength} characters; Ctrl-C to stop`);
  } catch (e) {
    kernels.dispose();
    throw e;
  }
  const s = server;
  return {
    url,
    server: s,
    async close(now = false) {
      try {
        await s.close(now);
      } finally {
        kernels.dispose();
      }
      io.info(`stopped: ${human(s.engine.generated)} characters generated`);
    },
  };
}

/** The API key: --api-key, else --api-key-file's first line, else $CHARNN_API_KEY; '' none. */
function readKey(o: Values<typeof SERVE>, io: Io): string {
  if (o.apiKey && o.apiKeyFile) throw CharnnError.usage('--api-key and --api-key-file both given', 'use one of them', 'cannot serve');
  let key = o.apiKey;
  if (o.apiKeyFile) {
    const path = resolve(io.cwd, o.apiKeyFile);
    key = attemptSync(`cannot read the API key file ${o.apiKeyFile}`, () => readFileSync(path, 'utf8')).split(/\r?\n/)[0].trim();
    if (!key) throw new CharnnError(`the API key file ${o.apiKeyFile} is empty`, 'write the key on its first line', 'cannot serve');
  }
  if (!key) key = (io.env.CHARNN_API_KEY ?? '').trim();
  if (key && (key.length < 8 || /\s/.test(key))) throw CharnnError.usage('the API key is shorter than 8 characters or holds spaces', 'use a long random one, e.g. openssl rand -hex 24', 'cannot serve');
  return key;
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
