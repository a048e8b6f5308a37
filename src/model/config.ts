/** Model configuration: what a checkpoint must record to rebuild the network. */

export type CellType = 'rnn' | 'lstm' | 'gru';
export const CELL_TYPES: readonly CellType[] = ['lstm', 'gru', 'rnn'];

/** Gate blocks per cell, as in PyTorch: rnn 1 (tanh), lstm 4 (i, f, g, o), gru 3 (r, z, n). */
export const GATES: Record<CellType, number> = { rnn: 1, lstm: 4, gru: 3 };

/** State tensors carried per layer: lstm carries (h, c), the others h. */
export const STATE_SLOTS: Record<CellType, number> = { rnn: 1, lstm: 2, gru: 1 };

export interface ModelConfig {
  cell: CellType;
  /** L stacked layers */
  layers: number;
  /** H hidden units per layer */
  hidden: number;
  /** V vocabulary size (one-hot input width and decoder output width) */
  vocabSize: number;
  /** inverted-dropout probability between layers and before the decoder (training only) */
  dropout: number;
  /** how the dropout masks are drawn: 'variational' = one mask per stream per window, shared by its T steps;
   *  absent (older checkpoints, and the default) = 'element', a fresh mask per element */
  dropoutMode?: DropoutMode;
  /** recurrent weight dropout (DropConnect on W_hh), training only; absent = 0 */
  weightDrop?: number;
  /** 'lines': trained on a list, one example per line, each from the start state to the end token ('\n'); sample,
   *  eval and info follow it. Absent (older checkpoints) = 'stream': the corpus as one text. */
  mode?: ModelMode;
  /** the state every line starts from: 'learned' adds a start_state parameter (L, S, H); absent = zero */
  startState?: StartStateKind;
  /** layer normalisation in the cell (gru, lstm): adds gains and biases per layer (layout.ts); absent = off */
  layerNorm?: boolean;
  /** n > 0: a learned input embedding encoder.weight (V, n) looked up per character feeds layer 0, whose W_ih is
   *  then (G*H, n); absent or 0 (older checkpoints, the default) = one-hot characters, W_ih (G*H, V) */
  embed?: number;
}

export type DropoutMode = 'element' | 'variational';
export const DROPOUT_MODES: readonly DropoutMode[] = ['element', 'variational'];

/** The width of layer 0's input: the embedding's, or the vocabulary's for one-hot characters. */
export const inputWidth = (c: ModelConfig): number => (c.embed ? c.embed : c.vocabSize);

export type ModelMode = 'stream' | 'lines';
export const MODEL_MODES: readonly ModelMode[] = ['stream', 'lines'];
export type StartStateKind = 'zero' | 'learned';
export const START_STATES: readonly StartStateKind[] = ['zero', 'learned'];

/** True when the model was trained in line mode. */
export const isLineModel = (c: ModelConfig): boolean => c.mode === 'lines';

/** Weight initialisation schemes. 'pytorch': every weight and bias uniform in ±1/sqrt(H) (nn.LSTM/nn.Linear
 *  defaults as the reference uses them); 'charrnn': uniform ±0.08 with LSTM forget-gate bias 1. */
export type InitScheme = 'pytorch' | 'charrnn';
export const INIT_SCHEMES: readonly InitScheme[] = ['pytorch', 'charrnn'];

export function validateModelConfig(c: ModelConfig): void {
  const int = (v: number, name: string, lo: number, hi: number) => {
    if (!Number.isInteger(v) || v < lo || v > hi) throw new RangeError(`${name} must be an integer in [${lo}, ${hi}], got ${v}`);
  };
  if (!CELL_TYPES.includes(c.cell)) throw new RangeError(`cell must be one of ${CELL_TYPES.join(', ')}, got ${c.cell}`);
  int(c.layers, 'layers', 1, 64);
  int(c.hidden, 'hidden', 1, 16384);
  int(c.vocabSize, 'vocabulary size', 1, 1 << 21);
  if (!(c.dropout >= 0 && c.dropout < 1)) throw new RangeError(`dropout must be in [0, 1), got ${c.dropout}`);
  if (c.dropoutMode !== undefined && !DROPOUT_MODES.includes(c.dropoutMode)) {
    throw new RangeError(`dropout mode must be one of ${DROPOUT_MODES.join(', ')}, got ${c.dropoutMode}`);
  }
  if (c.weightDrop !== undefined && !(typeof c.weightDrop === 'number' && c.weightDrop >= 0 && c.weightDrop < 1)) {
    throw new RangeError(`weight drop must be in [0, 1), got ${c.weightDrop}`);
  }
  if (c.mode !== undefined && !MODEL_MODES.includes(c.mode)) throw new RangeError(`mode must be one of ${MODEL_MODES.join(', ')}, got ${c.mode}`);
  if (c.embed !== undefined) int(c.embed, 'embedding width', 0, 65536);
  if (c.startState !== undefined && !START_STATES.includes(c.startState)) {
    throw new RangeError(`start state must be one of ${START_STATES.join(', ')}, got ${c.startState}`);
  }
  if (c.layerNorm !== undefined && typeof c.layerNorm !== 'boolean') throw new RangeError(`layer norm must be true or false, got ${String(c.layerNorm)}`);
  if (c.layerNorm && c.cell === 'rnn') throw new RangeError('layer norm is for the gru and lstm cells, not rnn (use --cell gru or lstm)');
}
