/**
 * The HTTP side of `charnn serve`: routes, request bodies, the two stream formats, limits and shutdown.
 *
 *   GET  /                 the playground page (and its files)
 *   GET  /v1/models        the models served, in OpenAI's list shape, with each one's card and loss curve
 *   GET  /v1/health        streams open, the limit, characters generated
 *   POST /v1/sample        JSON options -> server-sent events (default) or chunked text (Accept: text/plain)
 *   POST /v1/completions   OpenAI's completions (openai.ts), as JSON or its server-sent events
 *   GET  /health           public: 200 {"status":"ok"}, 503 while shutting down
 *   GET  /metrics          with --metrics: Prometheus text (metrics.ts)
 *
 * Before any route: one Host header naming this machine (when bound to loopback), an Origin that is the page's own
 * or listed with --cors-origin (browsers' cross-site requests, simple ones included, get 403 before any work),
 * and with --api-key `Authorization: Bearer KEY` (all but /health and the page's files).
 *
 * Every refusal is a 4xx (or 503 while shutting down) with a JSON body in charnn's one-line style; nothing a
 * client sends can crash the server. Text events carry the prime first, so the concatenated text of a stream is
 * exactly what `charnn sample` prints for the same options and seed.
 */
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Engine, type EndReason, type Job, type Sink } from './engine.js';
import { HttpError } from './errors.js';
import type { ServedModel } from './models.js';
import { batchedRequest, parseSampleRequest, type PlannedRequest } from './request.js';
import { generateScored, generateText, type CharScore } from '../commands/sample/generate.js';
import { Metrics } from './metrics.js';
import { ChoiceText, lineCompletion, modelList, openaiErrorBody, parseCompletionRequest, type CompletionRequest } from './openai.js';
import { formatError } from '../errors.js';
import { PAGE_CSP, type Asset } from './static.js';

export interface ServerOptions {
  host: string;
  port: number;
  maxStreams: number;
  maxLength: number;
  /** milliseconds open streams may go on after SIGINT/SIGTERM before they are cut */
  graceMs: number;
  /** batch the streams of a model into one step (false: bench:serve's comparison) */
  batch?: boolean;
  /** '' none: every request is served without a key */
  apiKey?: string;
  /** origins (scheme://host[:port]) whose browser requests are served, besides the page's own */
  corsOrigins?: readonly string[];
  /** serve GET /metrics */
  metrics?: boolean;
  /** milliseconds a stream may wait for its reader to take what was written before it is cut (0: never) */
  writeTimeoutMs?: number;
  /** connections open at once; more are dropped */
  maxConnections?: number;
  /** milliseconds a client has to send a request's headers and body */
  requestTimeoutMs?: number;
}

/** The paths of the API (the rest are the page's files, or not found). */
const API = new Set(['/v1/sample', '/v1/completions', '/v1/models', '/v1/health', '/metrics']);
const sha256 = (s: string): Buffer => createHash('sha256').update(s).digest();

/** A body holds options and a prime of at most max-length characters; JSON may spell each as \uXXXX\uXXXX. */
const bodyLimit = (maxLength: number): number => 4096 + 12 * maxLength;

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/i;
export const isLoopback = (host: string): boolean => LOOPBACK.test(host.replace(/^\[|\]$/g, ''));

export class CharnnServer {
  readonly engine: Engine;
  private readonly server: Server;
  private draining = false;
  private stopped = false;
  private closed: Promise<void> = Promise.resolve();
  private readonly open = new Set<{ job: Job | null; res: ServerResponse; sink: Sink | null }>();
  private port = 0;
  /** streaming responses not yet closed */
  private readonly live = new Set<ServerResponse>();
  readonly metrics: Metrics;
  private readonly keyHash: Buffer | null;

  constructor(
    readonly models: readonly ServedModel[],
    private readonly assets: Map<string, Asset>,
    readonly o: ServerOptions,
    /** where internal errors (bugs, never a client's mistake) are reported */
    private readonly onInternalError: (e: unknown) => void = () => {},
  ) {
    this.engine = new Engine(models, { batch: o.batch });
    this.metrics = new Metrics(() => this.engine.active, () => this.engine.generated);
    this.keyHash = o.apiKey ? sha256(o.apiKey) : null;
    const requestTimeout = o.requestTimeoutMs ?? 10_000;
    this.server = createServer({ keepAliveTimeout: 5000, requestTimeout, headersTimeout: requestTimeout, connectionsCheckingInterval: Math.min(1000, requestTimeout) }, (req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      res.on('finish', () => this.metrics.request(path, res.statusCode));
      this.handle(req, res).catch((e) => this.fail(res, e));
    });
    this.server.maxConnections = o.maxConnections ?? 256;
    // malformed framing, headers too large, a request not sent within --request-timeout: a JSON answer, then close
    this.server.on('clientError', (e: NodeJS.ErrnoException, socket) => {
      if (!socket.writable) return socket.destroy();
      const [status, text, why] =
        e.code === 'HPE_HEADER_OVERFLOW' ? [431, 'Request Header Fields Too Large', 'the headers are too large'] : e.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? [408, 'Request Timeout', 'the request was not sent in time (--request-timeout)'] : [400, 'Bad Request', 'the request is not well-formed HTTP/1.1'];
      this.metrics.refused(`http-${status}`);
      const body = new HttpError(status, why, undefined, 'invalid request').body();
      socket.end(`HTTP/1.1 ${status} ${text}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    });
  }

  /** Listen; resolves with the URL to open. */
  listen(): Promise<string> {
    return new Promise((resolve, reject) => {
      const onError = (e: Error) => reject(e);
      this.server.once('error', onError);
      this.server.listen(this.o.port, this.o.host, () => {
        this.server.off('error', onError);
        this.port = (this.server.address() as AddressInfo).port;
        resolve(this.url());
      });
    });
  }

  url(): string {
    const h = this.o.host;
    const shown = h === '0.0.0.0' || h === '::' ? '127.0.0.1' : h.includes(':') ? `[${h}]` : h;
    return `http://${shown}:${this.port}/`;
  }

  get streams(): number {
    return this.engine.active;
  }

  /**
   * Stop: no new streams (503; /health 503); open streams may finish for graceMs (immediately when `now`), then the
   * port closes and the rest end with reason "shutdown". Resolves when every connection is closed.
   */
  async close(now = false): Promise<void> {
    this.draining = true; // from now on: 503 for new streams, and GET /health says "stopping" (503)
    const deadline = performance.now() + (now ? 0 : this.o.graceMs);
    while (this.engine.active > 0 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    if (!this.stopped) {
      // the port stays open through the grace period, so load balancers see the 503 of /health
      this.stopped = true;
      this.closed = new Promise((r) => this.server.close(() => r()));
      this.server.closeIdleConnections();
    }
    this.engine.endAll('shutdown');
    for (const { res } of this.open) if (!res.writableEnded) res.end();
    // let the last events reach slow readers (a response closes once its data is handed to the system), briefly
    const flushEnd = performance.now() + 1000;
    while (this.live.size > 0 && performance.now() < flushEnd) await new Promise((r) => setTimeout(r, 10));
    this.server.closeAllConnections();
    await this.closed;
  }

  /** Cut everything at once (a second Ctrl-C). */
  abort(): void {
    this.engine.endAll('shutdown');
    this.server.closeAllConnections();
  }

  // ---- routing ----------------------------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.checkHost(req);
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/health') {
      allow(req, ['GET', 'HEAD']);
      return json(res, this.draining ? 503 : 200, { status: this.draining ? 'stopping' : 'ok' });
    }
    if (API.has(path)) {
      if (this.checkOrigin(req, res)) return; // a preflight, answered
      this.checkKey(req);
    }
    if (path === '/v1/sample') {
      allow(req, ['POST']);
      return this.sample(req, res);
    }
    if (path === '/v1/completions') {
      allow(req, ['POST']);
      return this.completions(req, res);
    }
    if (path === '/metrics' && this.o.metrics) {
      allow(req, ['GET', 'HEAD']);
      const body = await this.metrics.text();
      res.writeHead(200, { 'Content-Type': this.metrics.contentType, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-cache' });
      res.end(req.method === 'HEAD' ? undefined : body);
      return;
    }
    if (path === '/v1/models') {
      allow(req, ['GET', 'HEAD']);
      return json(res, 200, modelList(this.models));
    }
    if (path === '/v1/health') {
      allow(req, ['GET', 'HEAD']);
      return json(res, 200, { status: this.draining ? 'stopping' : 'ok', streams: this.engine.active, maxStreams: this.o.maxStreams, maxLength: this.o.maxLength, generated: this.engine.generated });
    }
    const asset = this.assets.get(path);
    if (asset) {
      allow(req, ['GET', 'HEAD']);
      res.writeHead(200, { 'Content-Type': asset.type, 'Content-Length': asset.body.length, 'Content-Security-Policy': PAGE_CSP, 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-cache' });
      res.end(req.method === 'HEAD' ? undefined : asset.body);
      return;
    }
    throw new HttpError(404, `no such page or endpoint: ${req.method} ${path.slice(0, 200)}`, 'the API is POST /v1/sample, POST /v1/completions, GET /v1/models, GET /v1/health, GET /health; the page is /', 'not found');
  }

  /**
   * Browsers' requests from other sites (their Origin header, or Sec-Fetch-Site when they send no Origin) are
   * refused before any work, simple ones (text/plain, forms, Origin: null) included, unless the origin is listed
   * with --cors-origin (exact match); those get CORS headers naming that origin, and their preflights an answer.
   * Clients that are no browser send neither header. True when the request was a preflight, answered here.
   */
  private checkOrigin(req: IncomingMessage, res: ServerResponse): boolean {
    const origin = req.headers.origin;
    const site = String(req.headers['sec-fetch-site'] ?? '');
    const own = origin !== undefined && req.headers.host !== undefined && (origin === `http://${req.headers.host}` || origin === `https://${req.headers.host}`);
    const listed = origin !== undefined && (this.o.corsOrigins ?? []).includes(origin);
    if (listed) {
      res.setHeader('Access-Control-Allow-Origin', origin!);
      res.setHeader('Vary', 'Origin');
      res.setHeader('Access-Control-Expose-Headers', 'X-Charnn-Model, X-Charnn-Seed');
    }
    const foreign = origin !== undefined ? !own && !listed : site === 'cross-site' || site === 'same-site';
    if (foreign) {
      this.metrics.refused('origin');
      throw new HttpError(403, `requests from the web page at ${JSON.stringify(String(origin ?? site).slice(0, 100))} are not served`, 'start the server with --cors-origin ORIGIN to serve a page of yours from another origin', 'refused');
    }
    if (req.method !== 'OPTIONS') return false;
    res.writeHead(204, listed ? { 'Access-Control-Allow-Methods': 'GET, POST', 'Access-Control-Allow-Headers': 'Authorization, Content-Type, Accept', 'Access-Control-Max-Age': '600' } : { Allow: 'GET, HEAD, POST, OPTIONS' });
    res.end();
    return true;
  }

  /** With --api-key: `Authorization: Bearer KEY`, compared in constant time (as hashes, so lengths tell nothing). */
  private checkKey(req: IncomingMessage): void {
    if (!this.keyHash) return;
    const m = /^Bearer[ \t]+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    if (m && timingSafeEqual(sha256(m[1]), this.keyHash)) return;
    this.metrics.refused('key');
    throw new HttpError(401, req.headers.authorization ? 'the API key is wrong' : 'this server needs an API key', 'send Authorization: Bearer KEY (the key of --api-key, --api-key-file or CHARNN_API_KEY)', 'unauthorized', { 'WWW-Authenticate': 'Bearer' });
  }

  /**
   * Bound to loopback, only requests naming a loopback host are served: a web page elsewhere cannot reach the
   * server through a DNS name of its own that points at 127.0.0.1 (DNS rebinding).
   */
  private checkHost(req: IncomingMessage): void {
    let hosts = 0;
    for (let i = 0; i < req.rawHeaders.length; i += 2) if (req.rawHeaders[i].toLowerCase() === 'host') hosts++;
    if (hosts > 1) throw new HttpError(400, `${hosts} Host headers`, 'send one', 'invalid request', { Connection: 'close' });
    if (!isLoopback(this.o.host)) return;
    const host = (req.headers.host ?? '').replace(/:\d+$/, '');
    if (!isLoopback(host)) throw new HttpError(403, `the Host header ${JSON.stringify(req.headers.host ?? '')} does not name this machine`, 'use http://127.0.0.1:PORT/ or http://localhost:PORT/', 'refused');
  }

  // ---- POST /v1/sample --------------------------------------------------------------------------------------

  /** A request's body as JSON (empty: {}), at most what --max-length allows; `hint` says what to send instead of a
   *  body that is not JSON. */
  private async readJson(req: IncomingMessage, res: ServerResponse, hint: string): Promise<unknown> {
    const body = await readBody(req, res, bodyLimit(this.o.maxLength));
    try {
      return JSON.parse(body.trim() === '' ? '{}' : body);
    } catch (e) {
      throw new HttpError(400, `the body is not JSON: ${(e as Error).message.slice(0, 200)}`, hint);
    }
  }

  private async sample(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.admit();
    const doc = await this.readJson(req, res, 'send options as JSON, e.g. {"prime": "ROMEO:", "temp": 0.5}');
    const r = parseSampleRequest(doc, this.models, { maxLength: this.o.maxLength, maxStreams: this.o.maxStreams });
    this.admit(); // again: other requests may have started while this body arrived
    if (res.destroyed) return; // the client left while its body was read
    this.stream(req, res, r);
  }

  private admit(n = 1): void {
    if (this.draining) throw new HttpError(503, 'the server is shutting down', 'try again after it restarts', 'cannot sample', { 'Retry-After': '5', Connection: 'close' });
    if (this.engine.active + n > this.o.maxStreams) {
      this.metrics.refused('busy');
      throw new HttpError(429, n > 1 && this.engine.active < this.o.maxStreams ? `${n} streams asked, ${this.o.maxStreams - this.engine.active} free` : `all ${this.o.maxStreams} streams are in use`, "try again in a moment, or start the server with a higher --max-streams", 'cannot sample', { 'Retry-After': '1' });
    }
  }

  private stream(req: IncomingMessage, res: ServerResponse, r: PlannedRequest): void {
    this.live.add(res);
    res.on('close', () => this.live.delete(res));
    const sse = wantsEvents(req.headers.accept);
    const entry: { job: Job | null; res: ServerResponse; sink: Sink | null } = { job: null, res, sink: null };
    // the stream opens before the headers go out (its options are checked once more there); its first text is
    // written on the engine's next turn, after the headers and the prime
    const stalled = this.stallWatch(res);
    const sink: Sink = {
      write: (text) => stalled(entry.sink!.write(text)),
      end: (reason, chars, error) => {
        this.open.delete(entry);
        entry.sink!.end(reason, chars, error);
      },
    };
    // a plain stream is a row of its model's batch; a beam, lines or bans run the sample command's generator
    const batched = batchedRequest(r);
    const { plan, model } = r;
    let job: Job;
    try {
      job = batched
        ? this.engine.start(batched, sink, plan.stopAt)
        : this.engine.startText(model, generateText(plan, model.model, model.vocab), sink, [...plan.primeText].length);
    } catch (e) {
      throw HttpError.from(e, 400, 'invalid sampling options');
    }
    entry.job = job;
    res.writeHead(200, {
      'Content-Type': sse ? 'text/event-stream; charset=utf-8' : 'text/plain; charset=utf-8',
      'Cache-Control': 'no-cache',
      'X-Accel-Buffering': 'no', // proxies: do not hold the stream back
      'X-Content-Type-Options': 'nosniff',
      'X-Charnn-Model': model.name,
      'X-Charnn-Seed': String(plan.seed),
    });
    res.socket?.setNoDelay(true);
    this.open.add(entry);
    entry.sink = sse ? eventSink(res, r) : textSink(res);
    if (batched && plan.primeText) entry.sink.write(plan.primeText); // a generator's text starts with it
    res.on('drain', () => this.engine.resume(job));
    res.on('close', () => {
      this.open.delete(entry);
      this.engine.cancel(job); // a disconnect: no-op when the stream has ended already
    });
  }

  /**
   * A stream's writes, watched: when one is not taken by the reader (its buffer full) and no drain follows within
   * --write-timeout, the connection is cut, which ends the stream and frees its slot. Returns what it is given.
   */
  private stallWatch(res: ServerResponse): (ok: boolean) => boolean {
    const ms = this.o.writeTimeoutMs ?? 30_000;
    let timer: NodeJS.Timeout | null = null;
    const clear = () => {
      if (timer) clearTimeout(timer);
      timer = null;
    };
    res.on('drain', clear);
    res.on('close', clear);
    return (ok) => {
      if (!ok && !timer && ms > 0) {
        timer = setTimeout(() => {
          this.metrics.refused('write-timeout');
          res.destroy();
        }, ms);
        timer.unref();
      }
      return ok;
    };
  }

  // ---- POST /v1/completions ---------------------------------------------------------------------------------

  private async completions(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.admit();
    const doc = await this.readJson(req, res, 'send a JSON object, e.g. {"prompt": "ROMEO:", "max_tokens": 100}');
    const c = parseCompletionRequest(doc, this.models, { maxLength: this.o.maxLength, maxStreams: this.o.maxStreams });
    this.admit(c.choices.length);
    if (res.destroyed) return;
    this.complete(res, c);
  }

  /** Every choice a job of the engine; their text as one JSON answer, or as OpenAI's stream of chunks. */
  private complete(res: ServerResponse, c: CompletionRequest): void {
    const id = `cmpl-${randomUUID()}`;
    const created = Math.floor(Date.now() / 1000);
    const head = { id, object: 'text_completion', created, model: c.model.name };
    const hold = Math.max(0, ...c.stops.map((s) => s.length));
    const jobs: Job[] = [];
    const texts: ChoiceText[] = [];
    let ended = 0;
    const stalled = this.stallWatch(res);
    const usage = () => {
      const prompt = [...c.prompt].length;
      const completion = texts.reduce((a, t) => a + t.chars, 0);
      return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
    };
    const send = (choices: unknown[], extra: Record<string, unknown> = {}) => res.write(`data: ${JSON.stringify({ ...head, choices, ...extra })}\n\n`);
    const onEnd = () => {
      if (++ended < texts.length || res.writableEnded || res.destroyed) return;
      this.live.delete(res);
      if (!c.stream) return json(res, 200, { ...head, choices: texts.map((t) => t.whole()), usage: usage(), charnn: { seeds: c.choices.map((r) => r.plan.seed) } });
      if (c.includeUsage) send([], { usage: usage() });
      res.end('data: [DONE]\n\n');
    };
    try {
      c.choices.forEach((r, i) => {
        const { plan, model } = r;
        const scores: CharScore[] | null = c.logprobs === null ? null : [];
        const batched = scores ? null : batchedRequest(r);
        // a generator's text starts with the prompt, which the choice skips (echo adds it back, unscored)
        const skip = batched || plan.kind !== 'stream' ? 0 : plan.primeText.length;
        const line = { ended: false }; // a line-mode model: whether the model ended its line (finish_reason stop)
        const t = new ChoiceText(i, c.echo ? plan.primeText : '', plan.primeText, skip, scores, c.stops, c.stream ? hold : Infinity);
        texts.push(t);
        const sink: Sink = {
          write: (text) => {
            t.push(text);
            if (!c.stream) return true;
            const part = t.take(false);
            return stalled(part ? send([part]) : true);
          },
          end: (reason) => {
            t.end(reason === 'stop' || line.ended ? 'stop' : 'length');
            if (c.stream && !res.destroyed) send([t.take(true)]);
            onEnd();
          },
        };
        jobs.push(
          batched
            ? this.engine.start(batched, sink, plan.stopAt)
            : plan.kind === 'lines'
              ? this.engine.startText(model, lineCompletion(generateText({ ...plan, lines: { ...plan.lines, json: true } }, model.model, model.vocab), plan.primeText, line), sink)
              : this.engine.startText(model, scores ? generateScored(plan, model.model, model.vocab, c.logprobs!, scores) : generateText(plan, model.model, model.vocab), sink, [...plan.primeText].length),
        );
      });
    } catch (e) {
      for (const j of jobs) this.engine.cancel(j);
      throw HttpError.from(e, 400, 'invalid sampling options');
    }
    this.live.add(res);
    res.on('close', () => {
      this.live.delete(res);
      for (const j of jobs) this.engine.cancel(j);
    });
    if (c.stream) {
      res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-cache', 'X-Accel-Buffering': 'no', 'X-Content-Type-Options': 'nosniff', 'X-Charnn-Model': c.model.name, 'X-Charnn-Seed': String(c.choices[0].plan.seed) });
      res.socket?.setNoDelay(true);
      res.on('drain', () => jobs.forEach((j) => this.engine.resume(j)));
    }
  }

  private fail(res: ServerResponse, e: unknown): void {
    if (!(e instanceof HttpError)) this.onInternalError(e);
    const err = e instanceof HttpError ? e : new HttpError(500, `internal error: ${(e as Error)?.message ?? String(e)}`, 'please report it', 'server error');
    if (err.status === 400 || err.status === 404 || err.status === 405 || err.status === 413) this.metrics.refused(`invalid-${err.status}`);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const openai = (res.req.url ?? '').split('?')[0] === '/v1/completions';
    const body = openai ? openaiErrorBody(err.status, formatError(err)) : err.body();
    res.writeHead(err.status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(body), ...err.headers });
    res.end(body);
  }
}

// ---- helpers ------------------------------------------------------------------------------------------------

function allow(req: IncomingMessage, methods: string[]): void {
  if (!methods.includes(req.method ?? '')) {
    throw new HttpError(405, `${req.method} is not allowed here`, `use ${methods.join(' or ')}`, 'invalid request', { Allow: methods.join(', ') });
  }
}

function json(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value) + '\n';
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-cache' });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

/** Server-sent events unless the client asks for text/plain and not for events. */
function wantsEvents(accept: string | undefined): boolean {
  const a = (accept ?? '').toLowerCase();
  return a.includes('text/event-stream') || !a.includes('text/plain');
}

/**
 * The whole body as UTF-8 text, at most `limit` bytes: past it a 413 (the rest is read and dropped, so the client
 * sees the answer instead of a reset connection).
 */
function readBody(req: IncomingMessage, res: ServerResponse, limit: number): Promise<string> {
  const tooLarge = () => new HttpError(413, `the body is over ${limit} bytes`, 'a body holds options and a prime of at most --max-length characters', 'invalid request', { Connection: 'close' });
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    return Promise.reject(tooLarge());
  }
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (b: Buffer) => {
      if (over) return;
      size += b.length;
      if (size > limit) {
        over = true;
        parts.length = 0;
        reject(tooLarge());
      } else parts.push(b);
    });
    req.on('end', () => {
      if (over) return;
      try {
        resolve(new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(parts)));
      } catch {
        reject(new HttpError(400, 'the body is not valid UTF-8', 'send JSON text in UTF-8'));
      }
    });
    req.on('error', reject);
    res.on('close', () => reject(new HttpError(400, 'the client closed the connection', undefined)));
  });
}

function eventSink(res: ServerResponse, r: PlannedRequest): Sink {
  const p = r.plan;
  res.write(`event: start\ndata: ${JSON.stringify({ model: r.model.name, seed: p.seed, length: r.length, temp: p.temperature, topK: p.topK, topP: p.topP })}\n\n`);
  return {
    write: (text) => res.write(`data: ${JSON.stringify({ text })}\n\n`),
    end: (reason: EndReason, chars: number, error?: unknown) => {
      if (res.writableEnded || res.destroyed) return;
      res.end(`event: end\ndata: ${JSON.stringify({ reason, chars: chars + [...p.primeText].length, ...(error ? { error: formatError(error) } : {}) })}\n\n`);
    },
  };
}

function textSink(res: ServerResponse): Sink {
  return {
    write: (text) => res.write(text),
    end: () => {
      if (!res.writableEnded && !res.destroyed) res.end();
    },
  };
}
