/**
 * The generation loop of a server: every open stream of every model advances in turns of a few milliseconds
 * of model steps (each step one batch of all the model's runnable streams), then each stream's new text goes to
 * its sink, then the event loop runs (new requests, disconnects, drains) before the next turn.
 *
 * So a disconnect stops a stream within one turn, a slow reader pauses only its own stream (its sink says
 * "full" and the HTTP layer resumes it on drain), and no stream waits for another to finish.
 *
 * Two kinds of job: a plain stream request is a row of its model's batch (BatchSampler: the same text as the
 * sample command's, a step for all at once), cut at its stop string here; anything else (a beam search, lines
 * of a line-mode model, banned strings) runs the sample command's own generator, one chunk a turn.
 */
import type { BatchStream } from '../sample/batch.js';
import { StopAt } from '../commands/sample/plan.js';
import type { ServedModel } from './models.js';
import type { SampleRequest } from './request.js';

/** How a stream ended: all its characters drawn (or its stop string reached), or cut by the server's shutdown. */
export type EndReason = 'length' | 'stop' | 'shutdown' | 'error';

export interface Sink {
  /** new text; false when the reader's buffer is full (the stream pauses until resume) */
  write(text: string): boolean;
  /** `chars`: characters the stream made, the prime not counted; `error`: why a generator failed part-way (its
   *  one line: every check that can fail runs before the first text, so this is rare, e.g. bans that forbid every
   *  character at some point) */
  end(reason: EndReason, chars: number, error?: unknown): void;
}

/** What a job's text comes from: a batched stream, or a generator (TextStream). */
interface Source {
  paused: boolean;
  readonly done: boolean;
  readonly pending: number;
  readonly generated: number;
  take(): string;
}

export interface Job {
  readonly model: ServedModel;
  readonly stream: Source;
  readonly sink: Sink;
  /** batched streams: where the stop string ends the text */
  readonly stop: StopAt | null;
}

export interface EngineOptions {
  /** milliseconds of model steps per turn before text is written out (latency of the first characters) */
  turnMs?: number;
  /** false: one model step per stream (B = 1), the unbatched way, kept for bench:serve's comparison */
  batch?: boolean;
}

/** A generator's text as a job's source: one chunk per advance(). */
class TextStream implements Source {
  paused = false;
  done = false;
  generated = 0;
  private text = '';
  /** `prime`: characters at the start of the text that were given, not made (not counted in `generated`) */
  constructor(private readonly chunks: Iterator<string, unknown, undefined>, prime = 0) {
    this.generated = -prime;
  }
  get pending(): number {
    return this.text.length;
  }
  take(): string {
    const t = this.text;
    this.text = '';
    return t;
  }
  /** set when the generator threw: the job ends with it */
  failure: unknown = null;
  /** the generator's stop string ended the text (its summary says so) */
  stopped = false;
  advance(): void {
    let n: IteratorResult<string, unknown>;
    try {
      n = this.chunks.next();
    } catch (e) {
      this.failure = e;
      this.done = true;
      return;
    }
    if (n.done) {
      this.done = true;
      this.stopped = (n.value as { stopped?: boolean } | undefined)?.stopped === true;
      return;
    }
    this.text += n.value;
    this.generated += [...n.value].length;
  }
}

export class Engine {
  /** characters drawn by all streams since start */
  generated = 0;
  private readonly jobs = new Set<Job>();
  private scheduled = false;
  private readonly turnMs: number;
  private readonly batch: boolean;

  constructor(readonly models: readonly ServedModel[], o: EngineOptions = {}) {
    this.turnMs = o.turnMs ?? 15;
    this.batch = o.batch ?? true;
  }

  /** Streams open now, all models. */
  get active(): number {
    return this.jobs.size;
  }

  /** Open a batched stream for a validated request; its text (prime excluded) goes to the sink from the next
   *  turn, cut after the first occurrence of any of `stopAt` (which may begin in the prime). */
  start(r: SampleRequest, sink: Sink, stopAt: readonly string[] = []): Job {
    const stream = r.model.sampler.open({ temperature: r.temperature, topK: r.topK, topP: r.topP, seed: r.seed, context: r.context, length: r.draw });
    return this.add({ model: r.model, stream, sink, stop: stopAt.length ? new StopAt(stopAt, r.primeText) : null });
  }

  /** Run a generator of text (the sample command's) as a job: one chunk per turn, all of it to the sink. */
  startText(model: ServedModel, chunks: Iterator<string, unknown, undefined>, sink: Sink, primeChars = 0): Job {
    return this.add({ model, stream: new TextStream(chunks, primeChars), sink, stop: null });
  }

  private add(job: Job): Job {
    this.jobs.add(job);
    this.wake();
    return job;
  }

  /** The reader went away: free the stream now (no more steps, nothing more written). */
  cancel(job: Job): void {
    if (!this.jobs.delete(job)) return;
    if (!(job.stream instanceof TextStream)) job.model.sampler.close(job.stream as BatchStream);
  }

  /** The reader drained its buffer: steps go on. */
  resume(job: Job): void {
    if (!this.jobs.has(job)) return;
    job.stream.paused = false;
    this.wake();
  }

  /** End every open stream now, with what it has drawn so far (shutdown). */
  endAll(reason: EndReason): void {
    for (const job of [...this.jobs]) {
      if (!this.flush(job)) this.finish(job, reason);
    }
  }

  private wake(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.turn());
  }

  private turn(): void {
    this.scheduled = false;
    const t0 = performance.now();
    for (;;) {
      let stepped = 0;
      for (const m of this.models) {
        if (m.sampler.size === 0) continue;
        stepped += this.batch ? m.sampler.step() : m.sampler.stepEach();
      }
      if (stepped === 0 || performance.now() - t0 >= this.turnMs) break;
    }
    for (const job of this.jobs) if (job.stream instanceof TextStream && !job.stream.paused) job.stream.advance();
    let runnable = false;
    for (const job of [...this.jobs]) {
      if (this.flush(job)) continue;
      if (job.stream.done) this.finish(job, job.stream instanceof TextStream ? (job.stream.failure ? 'error' : job.stream.stopped ? 'stop' : 'length') : 'length');
      else if (!job.stream.paused) runnable = true;
    }
    if (runnable) this.wake();
  }

  /** The job's new text to its sink; true when its stop string ended it. */
  private flush(job: Job): boolean {
    const n = job.stream.pending; // a batched stream's: characters; a generator's: UTF-16 units
    if (!n) return false;
    let text = job.stream.take();
    const end = job.stop?.find(text) ?? -1;
    if (end >= 0) text = text.slice(0, end);
    const chars = end >= 0 || job.stream instanceof TextStream ? [...text].length : n;
    this.generated += chars;
    if (text && !job.sink.write(text)) job.stream.paused = true;
    if (end < 0) return false;
    // cut at its stop string: it made what it wrote, not all it drew
    this.cancel(job);
    job.sink.end('stop', job.stream.generated - n + chars);
    return true;
  }

  private finish(job: Job, reason: EndReason): void {
    this.cancel(job);
    job.sink.end(reason, job.stream.generated, job.stream instanceof TextStream ? (job.stream.failure ?? undefined) : undefined);
  }
}
