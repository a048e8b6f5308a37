/**
 * The checkpoint checksum: SHA-256 over every tensor's name, shape and raw little-endian float32 bytes.
 * Byte stream, in this order, tensors sorted by name inside each group so key order in the file does not matter:
 *   for group in ['tensors', 'optimizer.<slot>' for each slot sorted, 'state']:
 *     for tensor in group (by name): utf8(group + '/' + name + ':' + shape.join('x') + '\n') then its data bytes
 * Written as 'sha256:<hex>'.
 */
import { createHash } from 'node:crypto';
import type { Tensor } from './schema.js';
import { f32ToLE } from './tensor-codec.js';

export interface ChecksumInput {
  tensors: Tensor[];
  optimizerSlots: Record<string, Tensor[]> | null;
  state: { shape: number[]; data: Float32Array } | null;
}

export function checkpointChecksum(x: ChecksumInput): string {
  const h = createHash('sha256');
  const group = (g: string, list: Tensor[]) => {
    const sorted = [...list].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const t of sorted) {
      h.update(`${g}/${t.name}:${t.shape.join('x')}\n`, 'utf8');
      h.update(f32ToLE(t.data));
    }
  };
  group('tensors', x.tensors);
  if (x.optimizerSlots) {
    for (const slot of Object.keys(x.optimizerSlots).sort()) group(`optimizer.${slot}`, x.optimizerSlots[slot]);
  }
  if (x.state) group('state', [{ name: 'hidden', shape: x.state.shape, data: x.state.data }]);
  return 'sha256:' + h.digest('hex');
}
