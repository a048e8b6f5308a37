/** float32 arrays <-> base64 of their little-endian bytes (the checkpoint's tensor encoding). */
import { endianness } from 'node:os';
import { CheckpointError } from './errors.js';
import type { TensorJSON } from './schema.js';

const LITTLE = endianness() === 'LE';

/** The little-endian bytes of a float32 array (a view when the machine is little-endian, a swapped copy if not). */
export function f32ToLE(a: Float32Array): Uint8Array {
  const bytes = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  if (LITTLE) return bytes;
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i += 4) {
    out[i] = bytes[i + 3];
    out[i + 1] = bytes[i + 2];
    out[i + 2] = bytes[i + 1];
    out[i + 3] = bytes[i];
  }
  return out;
}

export function encodeTensor(shape: number[], data: Float32Array | Float64Array): TensorJSON {
  const f32 = data instanceof Float32Array ? data : Float32Array.from(data);
  const n = numel(shape);
  if (f32.length !== n) throw new Error(`tensor of shape [${shape.join(', ')}] needs ${n} values, got ${f32.length}`);
  return { shape: [...shape], dtype: 'float32', data: Buffer.from(f32ToLE(f32)).toString('base64') };
}

/** Decode one tensor, checking dtype and that the data holds exactly shape.product values. */
export function decodeTensor(t: TensorJSON, where: string): Float32Array {
  if (t.dtype !== 'float32') throw new CheckpointError(`${where}: dtype is ${JSON.stringify(t.dtype)}, only "float32" is supported`);
  const n = numel(t.shape);
  const bytes = Buffer.from(t.data, 'base64');
  if (bytes.length !== 4 * n) {
    throw new CheckpointError(
      `${where}: data holds ${bytes.length} bytes but shape [${t.shape.join(', ')}] needs ${4 * n}`,
      'the file is damaged; use another checkpoint',
    );
  }
  const out = new Float32Array(n);
  const view = new Uint8Array(out.buffer);
  view.set(bytes);
  if (!LITTLE) view.set(f32ToLE(out)); // f32ToLE swaps on big-endian machines, which is its own inverse
  return out;
}

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}
