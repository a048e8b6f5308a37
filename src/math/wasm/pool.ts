/**
 * Persistent worker threads that share the calls of one kernel on the shared WebAssembly memory.
 *
 * A call is cut into `n` chunks (the wasm kernels take (chunk, n) and compute that chunk's static share).
 * The main thread publishes the call (op, arguments, n), then every thread, the main one included, claims
 * chunks from one counter until none is left; the main thread then waits for chunks still running elsewhere.
 * Which thread runs a chunk never changes its result (each output is computed the same way wherever it
 * is), so runs stay bit-reproducible, while a worker the OS has descheduled simply gets fewer chunks instead
 * of stalling the call (two cores shared with other processes are the normal case here).
 *
 * Idle workers spin on SEQ for a short while (a hand-off then costs well under a microsecond), then sleep in
 * Atomics.wait; the main thread wakes sleepers with Atomics.notify.
 *
 * Control block (Int32 words in the shared memory), then 12 float64 argument slots:
 *   SEQ    call counter, bumped when a call is published
 *   NEXT   claim word: (tag << 16) | next chunk index; tag identifies the call, 0 = closed
 *   NCHUNK chunks of the current call; OP, ARGC the export index and its argument count
 *   DONE   finished chunks; MAIN_SLEEP main thread is in Atomics.wait; ERR 1 + the first chunk that threw
 *   QUIT   workers leave their loop; SLEEP0 + t: worker t is in Atomics.wait
 */
import { Worker } from 'node:worker_threads';
import { KernelError } from '../../errors.js';
import type { WasmMemory, WasmModule } from './wasm-api.js';

const SEQ = 0, NEXT = 1, NCHUNK = 2, OP = 3, ARGC = 4, DONE = 5, MAIN_SLEEP = 6, ERR = 7, QUIT = 8, SLEEP0 = 16;
const CLOSED = 0;
/** Bytes of the control block: 64 words, then the float64 argument slots. */
export const CTL_BYTES = 256 + 8 * 16;
const MAX_WORKERS = 47;

/** Microseconds a worker spins for the next call before sleeping, and the main thread for running chunks. */
const WORKER_SPIN_US = 150;
const MAIN_SPIN_US = 50;
/** A wait for other threads' chunks longer than this plus two chunks' time means a worker lost its core (ms). */
const STALL_MS = 1;
/**
 * After a stall the main thread runs calls alone for a while (ms): the first span, and the most after repeated
 * stalls. Time, not a count of calls: a stall costs about one scheduler time slice whatever the calls' size,
 * and a count long enough for small calls would serialise seconds of large ones.
 */
const SOLO_MIN_MS = 4, SOLO_MAX_MS = 500;

/**
 * Claim and run chunks of the call tagged `tag` until none is left: the same source runs on the main thread
 * and in the workers (kept as a string so no transpiler rewrites it). Word indices as above.
 */
const RUN_CHUNKS = `function runChunks(ctl, A, fns, tag) {
  for (let ran = 0; ; ran++) {
    const cur = Atomics.load(ctl, ${NEXT});
    if (cur >>> 16 !== tag) return ran;
    const c = cur & 0xffff, n = ctl[${NCHUNK}];
    if (c >= n) return ran;
    if (Atomics.compareExchange(ctl, ${NEXT}, cur, cur + 1) !== cur) { ran--; continue; }
    // the claim succeeded while the call was open, so OP, ARGC and the arguments belong to it
    try {
      const f = fns[ctl[${OP}]];
      switch (ctl[${ARGC}]) {
        case 3: f(c, n, A[0], A[1], A[2]); break;
        case 4: f(c, n, A[0], A[1], A[2], A[3]); break;
        case 5: f(c, n, A[0], A[1], A[2], A[3], A[4]); break;
        case 6: f(c, n, A[0], A[1], A[2], A[3], A[4], A[5]); break;
        case 7: f(c, n, A[0], A[1], A[2], A[3], A[4], A[5], A[6]); break;
        case 8: f(c, n, A[0], A[1], A[2], A[3], A[4], A[5], A[6], A[7]); break;
        case 9: f(c, n, A[0], A[1], A[2], A[3], A[4], A[5], A[6], A[7], A[8]); break;
        case 10: f(c, n, A[0], A[1], A[2], A[3], A[4], A[5], A[6], A[7], A[8], A[9]); break;
        default: f(c, n, A[0], A[1], A[2], A[3], A[4], A[5], A[6], A[7], A[8], A[9], A[10]); break;
      }
    } catch (e) {
      // the first failed chunk; the caller runs it again on its own thread to learn what the runtime said
      Atomics.compareExchange(ctl, ${ERR}, 0, c + 1);
    }
    if (Atomics.add(ctl, ${DONE}, 1) + 1 === n && Atomics.load(ctl, ${MAIN_SLEEP}) !== 0) Atomics.notify(ctl, ${DONE});
  }
}`;
/** Returns how many chunks this thread ran. */
type RunChunks = (ctl: Int32Array, A: Float64Array, fns: ((...a: number[]) => void)[], tag: number) => number;
// eslint-disable-next-line @typescript-eslint/no-implied-eval
const runChunks = new Function(`return ${RUN_CHUNKS}`)() as RunChunks;

const WORKER_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const { module, memory, ctlByte, t, names, spinUs, scratch } = workerData;
const ex = new WebAssembly.Instance(module, { env: { memory } }).exports;
ex.setScratch(scratch);
const ctl = new Int32Array(memory.buffer, ctlByte, 64);
const A = new Float64Array(memory.buffer, ctlByte + 256, 16);
const fns = names.map((n) => ex[n]);
const runChunks = ${RUN_CHUNKS};
parentPort.postMessage('ready');
let last = 0;
while (Atomics.load(ctl, ${QUIT}) === 0) {
  let seq = Atomics.load(ctl, ${SEQ});
  if (seq === last) {
    const until = performance.now() + spinUs / 1000;
    for (let i = 1; (seq = Atomics.load(ctl, ${SEQ})) === last; i++) {
      if ((i & 127) === 0 && performance.now() > until) {
        Atomics.store(ctl, ${SLEEP0} + t, 1);
        Atomics.wait(ctl, ${SEQ}, last);
        Atomics.store(ctl, ${SLEEP0} + t, 0);
      }
    }
  }
  last = seq;
  runChunks(ctl, A, fns, (seq % 32767) + 1);
}
`;

export class Pool {
  /** Argument slots: write A[0..argc) before `run`. */
  readonly A: Float64Array;
  private readonly ctl: Int32Array;
  private readonly fns: ((...a: number[]) => void)[];
  private seq = 0;
  private closed = false;
  /** Calls run on this thread alone until this time (performance.now(); 0: never yet), and the next span. */
  private soloUntil = 0;
  private soloMs = SOLO_MIN_MS;

  private constructor(private readonly workers: Worker[], memory: WasmMemory, ctlByte: number,
                      exports: Record<string, unknown>, private readonly names: readonly string[]) {
    this.ctl = new Int32Array(memory.buffer, ctlByte, 64);
    this.A = new Float64Array(memory.buffer, ctlByte + 256, 16);
    this.fns = names.map((n) => exports[n] as (...a: number[]) => void);
  }

  /** Starts nt − 1 workers instantiating `module` on `memory`; ops index `names` (exports of the module). */
  /** scratch[t]: thread t's private scratch (thread 0 is the caller's, already set up). */
  static async create(module: WasmModule, memory: WasmMemory, ctlByte: number, nt: number,
                      exports: Record<string, unknown>, names: readonly string[], scratch: number[]): Promise<Pool> {
    if (nt - 1 > MAX_WORKERS) throw new Error(`too many threads: ${nt} (at most ${MAX_WORKERS + 1})`);
    const workers: Worker[] = [];
    const ready: Promise<void>[] = [];
    for (let t = 1; t < nt; t++) {
      const w = new Worker(WORKER_SOURCE, {
        eval: true,
        workerData: { module, memory, ctlByte, t, names, spinUs: WORKER_SPIN_US, scratch: scratch[t] },
      });
      workers.push(w);
      ready.push(new Promise<void>((resolve, reject) => {
        w.once('message', () => resolve());
        w.once('error', reject);
      }));
    }
    try {
      await Promise.all(ready);
    } catch (e) {
      for (const w of workers) void w.terminate();
      throw new Error(`wasm kernels: a worker thread failed to start: ${(e as Error).message}`);
    }
    for (const w of workers) w.unref(); // idle workers must not keep the process alive
    return new Pool(workers, memory, ctlByte, exports, names);
  }

  /** Runs export `op` (argc arguments in A) as n chunks over all threads (n at most 4096: the claim word has 16 bits
   *  for the index); returns when every chunk is done. */
  run(op: number, argc: number, n: number): void {
    const ctl = this.ctl;
    ctl[OP] = op;
    ctl[ARGC] = argc;
    ctl[NCHUNK] = n;
    Atomics.store(ctl, DONE, 0);
    const seq = ++this.seq;
    const tag = (seq % 32767) + 1;
    Atomics.store(ctl, NEXT, tag << 16); // opens the call
    if (this.soloUntil > 0 && performance.now() < this.soloUntil) {
      // the workers do not see calls made while SEQ stands still: every chunk runs here, same results
      runChunks(ctl, this.A, this.fns, tag);
      Atomics.store(ctl, NEXT, CLOSED);
      this.checkError();
      return;
    }
    Atomics.store(ctl, SEQ, seq);
    for (let w = 1; w <= this.workers.length; w++) {
      if (Atomics.load(ctl, SLEEP0 + w) !== 0) {
        Atomics.notify(ctl, SEQ);
        break;
      }
    }
    const start = performance.now();
    const ran = runChunks(ctl, this.A, this.fns, tag);
    // chunks other threads claimed may still be running
    if (Atomics.load(ctl, DONE) < n) {
      const t0 = performance.now();
      const perChunk = (t0 - start) / Math.max(1, ran);
      const until = t0 + MAIN_SPIN_US / 1000;
      let d: number;
      for (let i = 1; (d = Atomics.load(ctl, DONE)) < n; i++) {
        if ((i & 127) === 0 && performance.now() > until) {
          Atomics.store(ctl, MAIN_SLEEP, 1);
          Atomics.wait(ctl, DONE, d, 50);
          Atomics.store(ctl, MAIN_SLEEP, 0);
        }
      }
      // a worker was descheduled in the middle of a chunk (more runnable threads than cores): run the next
      // calls on this thread alone for a while, backing off further if it happens again
      const now = performance.now();
      if (now - t0 > STALL_MS + 2 * perChunk) {
        this.soloUntil = now + this.soloMs;
        this.soloMs = Math.min(this.soloMs * 2, SOLO_MAX_MS);
      } else this.soloMs = Math.max(SOLO_MIN_MS, this.soloMs / 2);
    }
    Atomics.store(ctl, NEXT, CLOSED);
    this.checkError();
  }

  /**
   * After a call: if a chunk failed (a trap), run that chunk once more here, where its error can be caught
   * (a trap is deterministic), and throw a KernelError naming the kernel, its sizes and the chunk.
   */
  private checkError(): void {
    const ctl = this.ctl;
    const failed = ctl[ERR];
    if (failed === 0) return;
    ctl[ERR] = 0;
    const c = failed - 1, n = ctl[NCHUNK], op = ctl[OP], argc = ctl[ARGC];
    const args = Array.from(this.A.subarray(0, argc));
    let cause = 'the kernel threw on another thread only';
    try {
      this.fns[op](c, n, ...args);
    } catch (e) {
      cause = (e as Error).message;
    }
    throw new KernelError('wasm', `${this.names[op]} (chunk ${c + 1} of ${n})`, this.workers.length + 1, cause);
  }

  /** Stops the workers (they leave their loop, then are terminated). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    Atomics.store(this.ctl, QUIT, 1);
    Atomics.add(this.ctl, SEQ, 1);
    Atomics.notify(this.ctl, SEQ);
    for (const w of this.workers) void w.terminate();
  }
}
