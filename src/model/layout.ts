/**
 * The flat parameter buffer: where each tensor lives, named views into it, and the mapping to PyTorch's
 * state_dict (names, shapes, row-major data).
 *
 * Internal storage is transposed relative to PyTorch so that every forward product is a plain `mm`:
 *   layer k:  W_ih (D, G*H) | W_hh (H, G*H) | b_ih (G*H) | b_hh (G*H)      (PyTorch: weight_ih_l{k} (G*H, D) ...)
 *   decoder:  W (H, V) | b (V)                                            (PyTorch: decoder.weight (V, H))
 * Layer 0's W_ih is (V, G*H): its rows are looked up by token id (one-hot input as a row gather).
 * With a learned embedding (--embed n) the buffer starts with encoder.weight E (V, n) (nn.Embedding's weight, same
 * layout in both), whose rows are looked up instead, and layer 0's W_ih is (n, G*H).
 * The buffer holds the layers in order, then the decoder, then (line mode, --start-state learned) the start state
 * start_state (L, S, H), then (--layer-norm) each layer's layer-norm gains and biases
 *   rnn.ln_ih_weight_l{k}, rnn.ln_ih_bias_l{k}, rnn.ln_hh_weight_l{k}, rnn.ln_hh_bias_l{k} (G*H each)
 *   and for lstm rnn.ln_c_weight_l{k}, rnn.ln_c_bias_l{k} (H each);
 * grads and optimizer moments use the same layout. Tensors an option adds come after the others, so a model
 * without the option keeps its offsets.
 *
 * Dimension legend: V vocab, H hidden, L layers, D a layer's input width (V or n for layer 0, H above), n embedding,
 * G gate blocks (rnn 1, lstm 4, gru 3).
 */
import type { DType, Vec } from '../math/kernels.js';
import { GATES, inputWidth, STATE_SLOTS, type ModelConfig } from './config.js';

/** The state_dict name of the learned start state (not a PyTorch nn.GRU/nn.LSTM parameter: an extra tensor). */
export const START_STATE_TENSOR = 'start_state';
/** The state_dict name of the learned input embedding (PyTorch's nn.Embedding as module `encoder`). */
export const EMBEDDING_TENSOR = 'encoder.weight';

/**
 * Which tensors weight decay (AdamW) shrinks: the weight matrices (every rnn.weight_ih/hh_l{k}, decoder.weight),
 * never the biases or a learned start state (start_state): decay pulls a matrix's scale towards zero, which
 * regularises; a bias or a start state is an offset, and pulling it to zero only biases the model. A tensor added
 * later says here whether it decays (gains of a layer norm should not, an input embedding should).
 */
export function decays(name: string): boolean {
  return /^rnn\.weight_(ih|hh)_l\d+$/.test(name) || name === 'decoder.weight';
}

/** The flat-buffer ranges of the tensors that `decays`, adjacent ones merged (one kernel call each), in order. */
export function weightDecayRanges(layout: ParamLayout, rule: (name: string) => boolean = decays): { offset: number; length: number }[] {
  const out: { offset: number; length: number }[] = [];
  for (const s of layout.specs) {
    if (!rule(s.name)) continue;
    const n = s.rows * s.cols;
    const last = out[out.length - 1];
    if (last && last.offset + last.length === s.offset) last.length += n;
    else out.push({ offset: s.offset, length: n });
  }
  return out;
}

/** One tensor in PyTorch layout (row-major), as exchanged with checkpoints and PyTorch. */
export interface NamedTensor {
  name: string;
  shape: number[];
  data: Float32Array | Float64Array;
}

/** Where a PyTorch tensor lives in the flat buffer. Internal storage is (rows, cols); PyTorch's is the
 *  transpose when `transposed`, else the same (biases, 1-D). */
export interface TensorSpec {
  name: string;
  /** PyTorch shape */
  shape: number[];
  offset: number;
  rows: number;
  cols: number;
  transposed: boolean;
}

/** Named views of one recurrent layer's parameters (or gradients) inside a flat buffer. */
export interface LayerParams {
  wih: Vec; // (D, G*H)
  whh: Vec; // (H, G*H)
  bih: Vec; // (G*H)
  bhh: Vec; // (G*H)
  /** layer-norm gains and biases (--layer-norm), else absent */
  ln?: LayerNormParams;
}

/** Layer norm of the input part, the recurrent part (each over all G*H pre-activations of a row) and, for lstm,
 *  the cell before its tanh (over H). */
export interface LayerNormParams {
  gih: Vec; // (G*H)
  bih: Vec; // (G*H)
  ghh: Vec; // (G*H)
  bhh: Vec; // (G*H)
  gc: Vec | null; // (H) lstm only
  bc: Vec | null; // (H)
}

export interface DecoderParams {
  w: Vec; // (H, V)
  b: Vec; // (V)
}

export class ParamLayout {
  readonly size: number;
  readonly specs: readonly TensorSpec[];
  private readonly layerOffsets: { wih: number; whh: number; bih: number; bhh: number; D: number }[] = [];
  private readonly decOffsets: { w: number; b: number };
  private readonly startOffset: number = -1;
  private readonly lnOffsets: { gih: number; bih: number; ghh: number; bhh: number; gc: number; bc: number }[] = [];
  private readonly encoderOffset: number = -1;

  constructor(readonly config: ModelConfig) {
    const { layers: L, hidden: H, vocabSize: V } = config;
    const GH = GATES[config.cell] * H;
    const specs: TensorSpec[] = [];
    let off = 0;
    const add = (name: string, rows: number, cols: number, transposed: boolean, shape: number[]): number => {
      specs.push({ name, shape, offset: off, rows, cols, transposed });
      const at = off;
      off += rows * cols;
      return at;
    };
    // the embedding (--embed) comes first, where its module sits in PyTorch's state_dict; absent, nothing moves
    if (config.embed) this.encoderOffset = add(EMBEDDING_TENSOR, V, config.embed, false, [V, config.embed]);
    for (let l = 0; l < L; l++) {
      const D = l === 0 ? inputWidth(config) : H;
      this.layerOffsets.push({
        wih: add(`rnn.weight_ih_l${l}`, D, GH, true, [GH, D]),
        whh: add(`rnn.weight_hh_l${l}`, H, GH, true, [GH, H]),
        bih: add(`rnn.bias_ih_l${l}`, 1, GH, false, [GH]),
        bhh: add(`rnn.bias_hh_l${l}`, 1, GH, false, [GH]),
        D,
      });
    }
    this.decOffsets = { w: add('decoder.weight', H, V, true, [V, H]), b: add('decoder.bias', 1, V, false, [V]) };
    // a learned start state (line mode) comes last, so the other tensors keep their offsets
    if (config.startState === 'learned') {
      const S = STATE_SLOTS[config.cell];
      this.startOffset = add(START_STATE_TENSOR, L * S, H, false, [L, S, H]);
    }
    if (config.layerNorm) {
      for (let l = 0; l < L; l++) {
        const lstm = config.cell === 'lstm';
        this.lnOffsets.push({
          gih: add(`rnn.ln_ih_weight_l${l}`, 1, GH, false, [GH]),
          bih: add(`rnn.ln_ih_bias_l${l}`, 1, GH, false, [GH]),
          ghh: add(`rnn.ln_hh_weight_l${l}`, 1, GH, false, [GH]),
          bhh: add(`rnn.ln_hh_bias_l${l}`, 1, GH, false, [GH]),
          gc: lstm ? add(`rnn.ln_c_weight_l${l}`, 1, H, false, [H]) : -1,
          bc: lstm ? add(`rnn.ln_c_bias_l${l}`, 1, H, false, [H]) : -1,
        });
      }
    }
    this.specs = specs;
    this.size = off;
  }

  /** Views of layer l's tensors inside buf (params or grads). */
  layer(buf: Vec, l: number): LayerParams {
    const o = this.layerOffsets[l];
    const GH = GATES[this.config.cell] * this.config.hidden;
    const H = this.config.hidden;
    return {
      wih: buf.subarray(o.wih, o.wih + o.D * GH),
      whh: buf.subarray(o.whh, o.whh + H * GH),
      bih: buf.subarray(o.bih, o.bih + GH),
      bhh: buf.subarray(o.bhh, o.bhh + GH),
      ...(this.lnOffsets.length ? { ln: this.layerNorm(buf, l) } : {}),
    };
  }

  /** Views of layer l's layer-norm gains and biases inside buf (params or grads); --layer-norm only. */
  private layerNorm(buf: Vec, l: number): LayerNormParams {
    const o = this.lnOffsets[l];
    const GH = GATES[this.config.cell] * this.config.hidden;
    const H = this.config.hidden;
    const v = (at: number, n: number): Vec => buf.subarray(at, at + n);
    return {
      gih: v(o.gih, GH), bih: v(o.bih, GH), ghh: v(o.ghh, GH), bhh: v(o.bhh, GH),
      gc: o.gc >= 0 ? v(o.gc, H) : null, bc: o.bc >= 0 ? v(o.bc, H) : null,
    };
  }

  decoder(buf: Vec): DecoderParams {
    const { hidden: H, vocabSize: V } = this.config;
    const o = this.decOffsets;
    return { w: buf.subarray(o.w, o.w + H * V), b: buf.subarray(o.b, o.b + V) };
  }

  /** The input embedding E (V, n) inside buf, or null for one-hot characters. */
  encoder(buf: Vec): Vec | null {
    if (this.encoderOffset < 0) return null;
    const { vocabSize: V, embed = 0 } = this.config;
    return buf.subarray(this.encoderOffset, this.encoderOffset + V * embed);
  }

  /** The learned start state (L, S, H) inside buf, or null when the model starts from zero. */
  startState(buf: Vec): Vec | null {
    if (this.startOffset < 0) return null;
    const { layers: L, hidden: H, cell } = this.config;
    return buf.subarray(this.startOffset, this.startOffset + L * STATE_SLOTS[cell] * H);
  }

  /** The view of one named tensor in internal layout (for init and tests). */
  view(buf: Vec, name: string): Vec {
    const s = this.specs.find((t) => t.name === name);
    if (!s) throw new Error(`no parameter tensor named ${name}`);
    return buf.subarray(s.offset, s.offset + s.rows * s.cols);
  }

  /** PyTorch state_dict tensors (fresh arrays of the given dtype), transposed out of the internal layout. */
  exportTensors(buf: Vec, dtype: DType): NamedTensor[] {
    const Arr = dtype === 'float64' ? Float64Array : Float32Array;
    return this.specs.map((s) => {
      const n = s.rows * s.cols;
      const data = new Arr(n);
      if (s.transposed) {
        // internal (rows, cols) -> PyTorch (cols, rows)
        for (let r = 0; r < s.rows; r++) for (let c = 0; c < s.cols; c++) data[c * s.rows + r] = buf[s.offset + r * s.cols + c];
      } else {
        data.set(buf.subarray(s.offset, s.offset + n));
      }
      return { name: s.name, shape: [...s.shape], data };
    });
  }

  /** Write PyTorch state_dict tensors into buf. All-or-nothing: validates every name and shape first. */
  importTensors(buf: Vec, tensors: readonly NamedTensor[]): void {
    const byName = new Map<string, NamedTensor>();
    for (const t of tensors) {
      if (byName.has(t.name)) throw new Error(`state dict: tensor ${t.name} appears twice`);
      byName.set(t.name, t);
    }
    const what = `${this.config.cell} ${this.config.layers}x${this.config.hidden}, vocabulary ${this.config.vocabSize}`;
    const missing = this.specs.filter((s) => !byName.has(s.name)).map((s) => s.name);
    if (missing.length) throw new Error(`state dict: missing tensor(s) ${missing.join(', ')} for a ${what} model`);
    const known = new Set(this.specs.map((s) => s.name));
    const extra = tensors.filter((t) => !known.has(t.name)).map((t) => t.name);
    if (extra.length) throw new Error(`state dict: unexpected tensor(s) ${extra.join(', ')} for a ${what} model`);
    for (const s of this.specs) {
      const t = byName.get(s.name)!;
      const same = t.shape.length === s.shape.length && t.shape.every((d, i) => d === s.shape[i]);
      if (!same) {
        throw new Error(`state dict: tensor ${s.name} has shape [${t.shape.join(', ')}], expected [${s.shape.join(', ')}] for a ${what} model`);
      }
      if (t.data.length !== s.rows * s.cols) {
        throw new Error(`state dict: tensor ${s.name} holds ${t.data.length} values, its shape [${s.shape.join(', ')}] needs ${s.rows * s.cols}`);
      }
      for (let i = 0; i < t.data.length; i++) {
        if (!Number.isFinite(t.data[i])) throw new Error(`state dict: tensor ${s.name} has a non-finite value at index ${i}`);
      }
    }
    for (const s of this.specs) {
      const src = byName.get(s.name)!.data;
      if (s.transposed) {
        for (let r = 0; r < s.rows; r++) for (let c = 0; c < s.cols; c++) buf[s.offset + r * s.cols + c] = src[c * s.rows + r];
      } else {
        buf.set(src, s.offset);
      }
    }
  }
}
