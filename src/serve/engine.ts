/**
 * The generation loop of a server: every open stream of every model advances in turns of a few milliseconds
 * of model steps (each step one batch of all the model's runnable streams), then each stream's new text goes to
 * its sink, then the event loop runs (new requests, disconnects, drains) before the next turn.
 *
 * So a disconnect stops a stream within one turn, a slow reader pauses only its own stream (its sink says
 * "full" and the HTTP layer resumes it on drain), and no stream waits for another to finish.
 */
import type { BatchStream } from '../sample/batch.js';
import type { ServedModel } from './models.js';
import type { SampleRequest } from './request.js';

/** How a stream ended: all its characters drawn, or cut by the server's shutdown. */
export type EndReason = 'length' | 'shutdown';

export interface Sink {
  /** new text; false when the reader's buffer is full (the stream pauses until resume) */
  write(text: string): boolean;
  end(reason: EndReason, chars: number): void;
}

export interface Job {
  readonly model: ServedModel;
  readonly stream: BatchStream;
  readonly sink: Sink;
}

export interface EngineOptions {
  /** milliseconds of model steps per turn before text is written out (latency of the first characters) */
  turnMs?: number;
  /** false: one model step per stream (B = 1), the unbatched way, kept for bench:serve's comparison */
  batch?: boolean;
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

  /** Open a stream for a validated request; its text (prime excluded) goes to the sink from the next turn. */
  start(r: SampleRequest, sink: Sink): Job {
    const stream = r.model.sampler.open({ temperature: r.temperature, topK: r.topK, topP: r.topP, seed: r.seed, context: r.context, length: r.draw });
    const job: Job = { model: r.model, stream, sink };
    this.jobs.add(job);
    this.wake();
    return job;
  }

  /** The reader went away: free the stream now (no more steps, nothing more written). */
  cancel(job: Job): void {
    if (!this.jobs.delete(job)) return;
    job.model.sampler.close(job.stream);
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
      this.flush(job);
      this.finish(job, reason);
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
    let runnable = false;
    for (const job of [...this.jobs]) {
      this.flush(job);
      if (job.stream.done) this.finish(job, 'length');
      else if (!job.stream.paused) runnable = true;
    }
    if (runnable) this.wake();
  }

  private flush(job: Job): void {
    const n = job.stream.pending;
    if (!n) return;
    this.generated += n;
    if (!job.sink.write(job.stream.take())) job.stream.paused = true;
  }

  private finish(job: Job, reason: EndReason): void {
    this.cancel(job);
    job.sink.end(reason, job.stream.generated);
  }
}
