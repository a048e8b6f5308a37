/**
 * A tiny HTTP server on 127.0.0.1 (ephemeral port) for the corpus fetch tests. Each route is a handler; the
 * server counts requests per path so tests can prove a cache hit made no request and a redirect loop stopped.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

export interface TestServer {
  base: string; // http://127.0.0.1:PORT
  hits: Map<string, number>;
  route(path: string, h: Handler): void;
  close(): Promise<void>;
}

export async function startServer(): Promise<TestServer> {
  const routes = new Map<string, Handler>();
  const hits = new Map<string, number>();
  const server = http.createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const h = routes.get(path);
    if (h) h(req, res);
    else {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found\n');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    hits,
    route: (p, h) => void routes.set(p, h),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Serves `body` with a correct Content-Length, in 4 chunks a few ms apart so progress is reported more
 *  than once (written at once, loopback would coalesce them into one read). */
export function serveBytes(body: Buffer): Handler {
  return (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length });
    const step = Math.ceil(body.length / 4);
    const send = (i: number): void => {
      if (i >= body.length || res.destroyed) {
        res.end();
        return;
      }
      res.write(body.subarray(i, i + step), () => setTimeout(() => send(i + step), 5));
    };
    send(0);
  };
}

/** Announces `body.length` bytes, sends only the first `sent`, then drops the connection. */
export function serveTruncated(body: Buffer, sent: number): Handler {
  return (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length });
    res.write(body.subarray(0, sent), () => setTimeout(() => res.socket?.destroy(), 20));
  };
}

export function redirectTo(location: string, status = 302): Handler {
  return (_req, res) => {
    res.writeHead(status, { location });
    res.end();
  };
}

/** A port with nothing listening (bound, then closed): connecting to it is refused at once. */
export async function closedPort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** Deterministic test text of about `n` bytes, and its expected size and hash. */
export function sampleText(n: number, seed = 'To be, or not to be: that is the question.\n'): {
  body: Buffer;
  bytes: number;
  sha256: string;
} {
  const body = Buffer.from(seed.repeat(Math.ceil(n / seed.length)).slice(0, n));
  return { body, bytes: body.length, sha256: createHash('sha256').update(body).digest('hex') };
}
