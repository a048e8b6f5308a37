/**
 * Limits a training run must fit before anything big is allocated: a vocabulary a character model can use, and
 * the memory the model, its gradients and optimizer moments and one window's activations need (float32), against
 * the machine's memory (and the wasm backend's 4 GiB address space). Without this, a corpus of random Unicode or
 * a mistyped --hidden would allocate for minutes and then crash or fail on something unrelated.
 * Dimension legend: B streams, T window, V vocabulary, H hidden, L layers, D a layer's input width, G gate blocks.
 */
import { totalmem } from 'node:os';
import { GATES, STATE_SLOTS, type ModelConfig } from '../../model/config.js';
import { CharnnError } from '../../errors.js';

/** Most distinct characters a corpus may have: more means it is not text a character model can learn from
 *  (and every id would need 4 bytes instead of 2). */
const MAX_VOCAB = 65536;

/** Bytes addressable by a wasm32 memory. */
const WASM_MAX_BYTES = 4 * 2 ** 30;

export function checkVocabSize(size: number): void {
  if (size > MAX_VOCAB) {
    throw new CharnnError(
      `the corpus has ${size.toLocaleString('en-US')} distinct characters, more than charnn's limit of ${MAX_VOCAB.toLocaleString('en-US')}`,
      'a character model needs a text with a few hundred or thousand distinct characters; is it really text?',
      'cannot use the corpus',
    );
  }
}

/**
 * Rough bytes of a training run (a lower bound, measured within about 1.5x): `backend` is what lives in the compute
 * backend's memory: P parameters x (weights, gradients, optimizer moments) and one window's activations; `host`
 * adds the checkpoint text (base64 of weights and moments, copied a few times while it is encoded and written).
 */
function trainingBytes(c: ModelConfig, B: number, T: number, optimizer: string): { backend: number; host: number } {
  const G = GATES[c.cell], S = STATE_SLOTS[c.cell], H = c.hidden, V = c.vocabSize, L = c.layers;
  const n = c.embed ?? 0;
  let P = V * H + V + V * n; // decoder (V, H) and bias (V); the embedding (V, n) if any
  for (let k = 0; k < L; k++) P += G * H * ((k === 0 ? n || V : H) + H + 2); // W_ih (G*H, D), W_hh (G*H, H), two biases
  const moments = optimizer === 'adam' || optimizer === 'adamw' ? 2 : 1;
  // per window, kept for backward: each layer's gates, states and outputs, twice over (pre- and post-activation,
  // and their gradients) (T, B, 2 (G + S + 2) H); logits, probabilities and their gradient (T, B, 3V)
  const activations = T * B * (2 * L * H * (G + S + 2) + 3 * V);
  const backend = 4 * (P * (2 + moments) + activations);
  // the checkpoint: (1 + moments) float32 tensors as base64 text, about 4 copies alive while it is written
  const checkpoint = 4 * P * (1 + moments) * (4 / 3) * 4;
  return { backend, host: backend + checkpoint };
}

const gb = (n: number) => (n >= 1e12 ? `${(n / 1e12).toFixed(1)} TB` : n >= 1e9 ? `${(n / 1e9).toFixed(1)} GB` : `${(n / 1e6).toFixed(0)} MB`);

/** Throws when the run cannot fit this machine (or the backend's address space). */
export function checkTrainingMemory(c: ModelConfig, B: number, T: number, optimizer: string, backend: string): void {
  const { backend: inBackend, host } = trainingBytes(c, B, T, optimizer);
  const machine = totalmem();
  const [need, limit, where] =
    backend === 'wasm' && inBackend > WASM_MAX_BYTES
      ? [inBackend, WASM_MAX_BYTES, 'the wasm backend can address (4 GiB)']
      : [host, machine, `this machine has (${gb(machine)})`];
  if (need > limit) {
    throw new CharnnError(
      `the model (${c.cell} ${c.layers}x${c.hidden}, vocabulary ${c.vocabSize.toLocaleString('en-US')}, batch ${B} x seq ${T}) needs about ${gb(need)} of memory to train, more than ${where}`,
      'lower --hidden, --layers, --batch or --seq' + (c.vocabSize > 1000 ? ', or use a corpus with fewer distinct characters' : ''),
      'cannot build the model',
    );
  }
}
