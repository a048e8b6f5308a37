/**
 * Persistent worker threads that run shares of one kernel call on the shared WebAssembly memory.
 *
 * Protocol (a control block of Int32 words plus 12 float64 argument slots, inside the shared memory):
 * the main thread writes the arguments, the op and its arity, then bumps SEQ; each worker spins on SEQ for a
 * short while (a round trip then costs well under a microsecond), falls back to Atomics.wait when idle, runs
 * its share `fn(t, nt, ...args)`, and increments DONE. The main thread runs share 0 meanwhile, then waits for
 * DONE to reach the worker count. Shares are static (see assembly/simd.ts shareStart), so results never depend
 * on timing.
 */
import { Worker } from 'node:worker_threads';
import type { WasmMemory, WasmModule } from './wasm-api.js';

/** Int32 word indices in the control block. */
const SEQ = 0, OP = 1, ARGC = 2, DONE = 3, MAIN_SLEEP = 4, ERR = 5, SLEEP0 = 8;
/** Bytes of the control block: 64 words (up to 56 workers' sleep flags), then the float64 argument slots. */
export const CTL_BYTES = 256 + 8 * 16;
const MAX_WORKERS = 56;

/** Spins before sleeping: workers ~0.1 to 0.3 ms, the main thread (waiting for a share to end) longer. */
const WORKER_SPINS = 1 << 17;
const MAIN_SPINS = 1 << 20;

/** Runs in each worker (CommonJS, evaluated from this string so it works from src and from dist alike). */
const WORKER_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const { module, memory, ctlByte, t, nt, names, spins } = workerData;
const ex = new WebAssembly.Instance(module, { env: { memory } }).exports;
const ctl = new Int32Array(memory.buffer, ctlByte, 64);
const A = new Float64Array(memory.buffer, ctlByte + 256, 16);
const fns = names.map((n) => ex[n]);
parentPort.postMessage('ready');
let last = 0;
for (;;) {
  let seq = Atomics.load(ctl, ${SEQ});
  let n = 0;
  while (seq === last) {
    if (++n >= spins) {
      Atomics.store(ctl, ${SLEEP0} + t, 1);
      Atomics.wait(ctl, ${SEQ}, last);
      Atomics.store(ctl, ${SLEEP0} + t, 0);
      n = 0;
    }
    seq = Atomics.load(ctl, ${SEQ});
  }
  last = seq;
  const op = ctl[${OP}];
  if (op < 0) break;
  try {
    const f = fns[op];
    switch (ctl[${ARGC}]) {
      case 3: f(t, nt, A[0], A[1], A[2]); break;
      case 4: f(t, nt, A[0], A[1], A[2], A[3]); break;
      case 5: f(t, nt, A[0], A[1], A[2], A[3], A[4]); break;
      case 6: f(t, nt, A[0], A[1], A[2], A[3], A[4], A[5]); break;
      case 7: f(t, nt, A[0], A[1], A[2], A[3], A[4], A[5], A[6]); break;
      case 8: f(t, nt, A[0], A[1], A[2], A[3], A[4], A[5], A[6], A[7]); break;
      case 9: f(t, nt, A[0], A[1], A[2], A[3], A[4], A[5], A[6], A[7], A[8]); break;
      case 10: f(t, nt, A[0], A[1], A[2], A[3], A[4], A[5], A[6], A[7], A[8], A[9]); break;
      default: f(t, nt, A[0], A[1], A[2], A[3], A[4], A[5], A[6], A[7], A[8], A[9], A[10]); break;
    }
  } catch (e) {
    Atomics.store(ctl, ${ERR}, 1);
    parentPort.postMessage(String(e && e.stack || e));
  }
  Atomics.add(ctl, ${DONE}, 1);
  if (Atomics.load(ctl, ${MAIN_SLEEP}) !== 0) Atomics.notify(ctl, ${DONE});
}
`;

export class Pool {
  /** Argument slots: write A[0..argc) before `start`. */
  readonly A: Float64Array;
  private readonly ctl: Int32Array;
  private readonly nw: number;
  private closed = false;

  private constructor(private readonly workers: Worker[], memory: WasmMemory, ctlByte: number) {
    this.ctl = new Int32Array(memory.buffer, ctlByte, 64);
    this.A = new Float64Array(memory.buffer, ctlByte + 256, 16);
    this.nw = workers.length;
  }

  /** Starts nt − 1 workers on `module` with `memory`; `names` are the exports that ops index. */
  static async create(module: WasmModule, memory: WasmMemory, ctlByte: number, nt: number,
                      names: readonly string[]): Promise<Pool> {
    if (nt - 1 > MAX_WORKERS) throw new Error(`too many threads: ${nt} (at most ${MAX_WORKERS + 1})`);
    const workers: Worker[] = [];
    const ready: Promise<void>[] = [];
    for (let t = 1; t < nt; t++) {
      const w = new Worker(WORKER_SOURCE, {
        eval: true,
        workerData: { module, memory, ctlByte, t, nt, names, spins: WORKER_SPINS },
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
    for (const w of workers) {
      w.on('message', (m) => { lastWorkerError = String(m); });
      w.unref(); // idle workers must not keep the process alive
    }
    return new Pool(workers, memory, ctlByte);
  }

  /** Hands op (index into names) with its argc arguments (already in A) to every worker. */
  start(op: number, argc: number): void {
    const ctl = this.ctl;
    ctl[OP] = op;
    ctl[ARGC] = argc;
    Atomics.add(ctl, SEQ, 1);
    for (let w = 1; w <= this.nw; w++) {
      if (Atomics.load(ctl, SLEEP0 + w) !== 0) {
        Atomics.notify(ctl, SEQ);
        break;
      }
    }
  }

  /** Waits until every worker finished its share of the current op. */
  finish(): void {
    const ctl = this.ctl, nw = this.nw;
    let n = 0, d: number;
    while ((d = Atomics.load(ctl, DONE)) < nw) {
      if (++n >= MAIN_SPINS) {
        Atomics.store(ctl, MAIN_SLEEP, 1);
        Atomics.wait(ctl, DONE, d, 100);
        Atomics.store(ctl, MAIN_SLEEP, 0);
        n = 0;
      }
    }
    Atomics.store(ctl, DONE, 0);
    if (ctl[ERR] !== 0) {
      ctl[ERR] = 0;
      throw new Error(`wasm kernels: a worker thread failed: ${lastWorkerError || 'unknown error'}`);
    }
  }

  /** Stops the workers (they leave their loop, then are terminated). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.ctl[OP] = -1;
    Atomics.add(this.ctl, SEQ, 1);
    Atomics.notify(this.ctl, SEQ);
    for (const w of this.workers) void w.terminate();
  }
}

let lastWorkerError = '';
