/**
 * Many sampling streams on one model: each stream has its own recurrent state, options and seeded generator,
 * and one model step advances all the streams given to it at once (B rows through the same weights: one
 * matrix-matrix product instead of B matrix-vector ones). Pure core: no I/O, no timers.
 *
 * Every stream's text equals what Sampler gives with the same options and seed: the same ids are fed in the
 * same order (startIds, then each drawn id), and its draws use its own Drawer. A row's logits do not depend
 * on the other rows or on B (every backend computes each output element by the same sequence of operations,
 * whatever the number of rows; test/batch.test.ts checks it), so batching changes no stream's text.
 *
 * Streams live in slots. The batch state holds the streams of the last step in (L, S, B, H) layout; a slot's
 * own copy (L, S, 1, H) is written back only when the set of streams stepped changes, so a steady batch copies
 * nothing between steps.
 *
 * Dimension legend: B streams in a step, C capacity (slots), V vocabulary, L layers, S state slots, H hidden.
 */
import type { Vec } from '../math/kernels.js';
import type { Vocab } from '../data/vocab.js';
import { CharnnError } from '../errors.js';
import { Drawer, type SampleOptions } from './draw.js';
import type { StepModel } from './sampler.js';

export interface StreamSpec extends SampleOptions {
  /** ids run through the model before the first draw (startIds: the prime, or a line break) */
  context: readonly number[];
  /** characters to draw after the context (the prime is not counted here) */
  length: number;
}

/** One stream's progress. Read its text with take(); the sampler appends to it on every step. */
export class BatchStream {
  /** characters drawn so far */
  generated = 0;
  /** excluded from steps while true (its reader is not keeping up) */
  paused = false;
  /** the id fed at the next step; -1 when finished */
  next = -1;
  /** position in the context of the next id to feed after `next` */
  ctxPos = 0;
  private codes: number[] = [];

  constructor(
    readonly slot: number,
    readonly drawer: Drawer,
    readonly context: readonly number[],
    readonly length: number,
  ) {}

  /** True when every character has been drawn. */
  get done(): boolean {
    return this.generated >= this.length;
  }

  /** Characters drawn since the last take. */
  take(): string {
    if (!this.codes.length) return '';
    const s = String.fromCodePoint(...this.codes);
    this.codes = [];
    return s;
  }

  /** Characters waiting for take(). */
  get pending(): number {
    return this.codes.length;
  }

  /** @internal one drawn character */
  emit(id: number, code: number): void {
    this.codes.push(code);
    this.generated++;
    this.next = this.done ? -1 : id;
  }
}

export class BatchSampler {
  readonly V: number;
  readonly capacity: number;
  private readonly LS: number; // state blocks per stream: L * S
  private readonly H: number;
  private readonly slab: Vec; // (C, L, S, 1, H) each slot's own state, contiguous per slot
  private readonly state: Vec; // (L, S, B, H) the batch state of the last step
  private readonly logits: Vec; // (C, V)
  private readonly ids: Int32Array; // (C)
  private readonly free: number[] = [];
  private readonly streams = new Set<BatchStream>();
  /** slots whose state is in `state`, in row order (the streams of the last step) */
  private resident: number[] = [];
  private readonly batch: BatchStream[] = [];

  constructor(readonly model: StepModel, readonly vocab: Vocab, capacity: number) {
    const V = model.config.vocabSize;
    if (vocab.size !== V) throw new CharnnError(`the vocabulary has ${vocab.size} characters but the model has ${V} outputs`);
    if (!Number.isInteger(capacity) || capacity < 1) throw new CharnnError(`capacity must be a positive integer, got ${capacity}`);
    this.V = V;
    this.capacity = capacity;
    this.H = model.config.hidden;
    const one = model.newState(1).length; // L * S * H (a small allocation, once)
    this.LS = one / this.H;
    this.slab = model.newState(capacity);
    this.state = model.newState(capacity);
    this.logits = model.kernels.alloc(capacity * V);
    this.ids = model.kernels.allocI32(capacity);
    for (let s = capacity - 1; s >= 0; s--) this.free.push(s);
  }

  /** Streams open now. */
  get size(): number {
    return this.streams.size;
  }

  /**
   * A new stream from a zero state. Throws a CharnnError on invalid options or when every slot is taken.
   * With no context (a vocabulary without a line break and no prime) the first character is drawn uniformly
   * at once, as Sampler does.
   */
  open(spec: StreamSpec): BatchStream {
    if (!Number.isInteger(spec.length) || spec.length < 0) throw new CharnnError(`length must be an integer >= 0, got ${spec.length}`);
    for (const id of spec.context) {
      if (!Number.isInteger(id) || id < 0 || id >= this.V) throw new CharnnError(`context id ${id} is not in the vocabulary of ${this.V}`);
    }
    const drawer = new Drawer(this.V, spec);
    const slot = this.free.pop();
    if (slot === undefined) throw new CharnnError(`all ${this.capacity} streams are in use`);
    const LSH = this.LS * this.H;
    this.slab.fill(0, slot * LSH, (slot + 1) * LSH);
    this.dropResident(slot);
    const s = new BatchStream(slot, drawer, spec.context, spec.length);
    if (!s.done) {
      if (spec.context.length > 0) {
        s.next = spec.context[0];
        s.ctxPos = 1;
      } else {
        const id = drawer.uniform();
        s.emit(id, this.vocab.codePoints[id]);
      }
    }
    this.streams.add(s);
    return s;
  }

  /** Free a stream's slot (finished or abandoned); its text so far stays readable. */
  close(s: BatchStream): void {
    if (!this.streams.delete(s)) return;
    s.next = -1;
    this.dropResident(s.slot);
    this.free.push(s.slot);
  }

  /** Streams a step would advance now: open, not paused, not done. */
  runnable(): number {
    let n = 0;
    for (const s of this.streams) if (!s.paused && s.next >= 0) n++;
    return n;
  }

  /** One model step for every runnable stream (B = their number); returns B. */
  step(): number {
    const batch = this.batch;
    batch.length = 0;
    for (const s of this.streams) if (!s.paused && s.next >= 0) batch.push(s);
    if (batch.length) this.stepRows(batch);
    return batch.length;
  }

  /** The unbatched way, for comparison (bench:serve): one model step of B = 1 per runnable stream. */
  stepEach(): number {
    const all = [...this.streams].filter((s) => !s.paused && s.next >= 0);
    const one: BatchStream[] = [];
    for (const s of all) {
      one[0] = s;
      this.stepRows(one);
    }
    return all.length;
  }

  /** Feed each stream's next id, then for each row either queue the next context id or draw a character. */
  private stepRows(rows: readonly BatchStream[]): void {
    const B = rows.length, V = this.V;
    this.makeResident(rows);
    for (let b = 0; b < B; b++) this.ids[b] = rows[b].next;
    this.model.step(this.logits, this.ids, B, this.state);
    const codes = this.vocab.codePoints;
    for (let b = 0; b < B; b++) {
      const s = rows[b];
      if (s.ctxPos < s.context.length) s.next = s.context[s.ctxPos++];
      else {
        const id = s.drawer.draw(this.logits, b * V);
        s.emit(id, codes[id]);
      }
    }
  }

  /** Bring the rows' states into the batch state in row order, writing the previous residents back first. */
  private makeResident(rows: readonly BatchStream[]): void {
    const res = this.resident;
    if (res.length === rows.length && rows.every((s, b) => res[b] === s.slot)) return;
    this.copyBatch(res, true);
    this.resident = rows.map((s) => s.slot);
    this.copyBatch(this.resident, false);
  }

  /** toSlab: batch state (L, S, B, H) -> slots; else slots -> batch state. */
  private copyBatch(slots: readonly number[], toSlab: boolean): void {
    const { LS, H, slab, state } = this;
    const B = slots.length;
    for (let b = 0; b < B; b++) {
      if (slots[b] < 0) continue; // closed since: nothing to keep
      for (let j = 0; j < LS; j++) {
        const at = (j * B + b) * H; // batch state (L*S, B, H)
        const own = (slots[b] * LS + j) * H; // slot (L*S, H)
        if (toSlab) for (let i = 0; i < H; i++) slab[own + i] = state[at + i];
        else for (let i = 0; i < H; i++) state[at + i] = slab[own + i];
      }
    }
  }

  /** A slot closed or reopened: its state in the batch is no longer its own, so never write it back. */
  private dropResident(slot: number): void {
    const b = this.resident.indexOf(slot);
    if (b >= 0) this.resident[b] = -1;
  }
}
