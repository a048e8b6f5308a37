/**
 * Growing a model's vocabulary for fine-tuning on a corpus with new characters: the new characters take ids
 * V..V'-1 (after the old ones, whose ids stay), so every tensor with a vocabulary dimension grows at its end:
 * layer 0's input weights (PyTorch weight_ih_l0, (G*H, V): one column per character) or, with a learned embedding,
 * its table (encoder.weight, (V, n): one row per character; weight_ih_l0 (G*H, n) then has none), the decoder's weight
 * ((V, H): one row per character) and bias (V). The old entries are copied bit for bit; the new ones keep the
 * values of `fresh`, a model of the new size initialised by the old model's init scheme.
 *
 * Dimension legend: V old vocabulary, V' new vocabulary, H hidden, G gates.
 */
import type { NamedTensor } from './layout.js';

/** `fresh`'s tensors (vocabulary newV) with every value of `old` (vocabulary oldV) copied in at its place. */
export function extendTensors(old: readonly NamedTensor[], fresh: readonly NamedTensor[], oldV: number, newV: number): NamedTensor[] {
  const byName = new Map(old.map((t) => [t.name, t]));
  return fresh.map((f) => {
    const o = byName.get(f.name);
    if (!o) throw new Error(`extending the vocabulary: the old model has no tensor ${f.name}`);
    if (o.shape.length !== f.shape.length || o.shape.length > 2) throw new Error(`extending the vocabulary: ${f.name} has rank ${o.shape.length}, the new model ${f.shape.length}`);
    o.shape.forEach((d, i) => {
      if (d !== f.shape[i] && !(d === oldV && f.shape[i] === newV)) {
        throw new Error(`extending the vocabulary: ${f.name} is [${o.shape.join(', ')}], the new model's [${f.shape.join(', ')}]`);
      }
    });
    const data = f.data.slice();
    const [rows, cols] = o.shape.length === 2 ? o.shape : [1, o.shape[0]];
    const newCols = f.shape.length === 2 ? f.shape[1] : f.shape[0];
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) data[r * newCols + c] = o.data[r * cols + c];
    return { name: f.name, shape: [...f.shape], data };
  });
}
