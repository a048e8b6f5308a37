/**
 * Tensors <-> base64 of their little-endian bytes (the checkpoint's tensor encoding): float32 (what training
 * writes), or float16 (a compact sampling-only file: the float32 values rounded to the nearest half, half.ts).
 */
import { endianness } from 'node:os';
import { quote } from '../errors.js';
import { CheckpointError } from './errors.js';
import { f32ArrayToHalf, halfArrayToF32 } from './half.js';
import { STORAGE_DTYPES, type StorageDtype, type TensorJSON } from './schema.js';

const LITTLE = endianness() === 'LE';

/** The little-endian bytes of a float32 array (a view when the machine is little-endian, a swapped copy if not). */
function f32ToLE(a: Float32Array): Uint8Array {
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

/** The little-endian bytes of a half array. */
function f16ToLE(h: Uint16Array): Uint8Array {
  const bytes = new Uint8Array(h.buffer, h.byteOffset, h.byteLength);
  if (LITTLE) return bytes;
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i += 2) {
    out[i] = bytes[i + 1];
    out[i + 1] = bytes[i];
  }
  return out;
}

/** The bytes a tensor is stored as (and hashed as, checksum.ts): its float32 values, or their nearest halves. */
export function storedBytes(data: Float32Array, dtype: StorageDtype): Uint8Array {
  return dtype === 'float16' ? f16ToLE(f32ArrayToHalf(data)) : f32ToLE(data);
}

export function encodeTensor(shape: number[], data: Float32Array | Float64Array, dtype: StorageDtype = 'float32'): TensorJSON {
  const f32 = data instanceof Float32Array ? data : Float32Array.from(data);
  const n = numel(shape);
  if (f32.length !== n) throw new Error(`tensor of shape [${shape.join(', ')}] needs ${n} values, got ${f32.length}`);
  return { shape: [...shape], dtype, data: Buffer.from(storedBytes(f32, dtype)).toString('base64') };
}

/** Decode one tensor, checking dtype and that the data holds exactly shape.product values. */
export function decodeTensor(t: TensorJSON, where: string): Float32Array {
  if (!(STORAGE_DTYPES as readonly string[]).includes(t.dtype)) {
    throw new CheckpointError(`${where}: dtype is ${quote(t.dtype)}, only "float32" and "float16" are supported`);
  }
  const n = numel(t.shape);
  const bytes = Buffer.from(t.data, 'base64');
  const width = t.dtype === 'float16' ? 2 : 4;
  if (bytes.length !== width * n) {
    throw new CheckpointError(
      `${where}: data holds ${bytes.length} bytes but shape [${t.shape.join(', ')}] needs ${width * n} (${t.dtype})`,
      'the file is damaged; use another checkpoint',
    );
  }
  if (t.dtype === 'float16') {
    const h = new Uint16Array(n);
    const view = new Uint8Array(h.buffer);
    view.set(bytes);
    if (!LITTLE) view.set(f16ToLE(h)); // its own inverse, as for float32
    return halfArrayToF32(h);
  }
  const out = new Float32Array(n);
  const view = new Uint8Array(out.buffer);
  view.set(bytes);
  if (!LITTLE) view.set(f32ToLE(out)); // f32ToLE swaps on big-endian machines, which is its own inverse
  return out;
}

function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}
