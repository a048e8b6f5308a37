/**
 * The safetensors format (https://github.com/huggingface/safetensors), written and read by hand:
 *   8 bytes   N, the header length, unsigned 64-bit little-endian
 *   N bytes   JSON: { name: { dtype: "F32", shape: [...], data_offsets: [begin, end] }, ..., "__metadata__": {str: str} }
 *             padded with spaces to a multiple of 8 bytes, so the data that follows is aligned
 *   the data  each tensor's row-major little-endian values at [begin, end) counted from the end of the header
 * charnn writes the state_dict (PyTorch names and shapes, in state_dict order) as F32 and puts the vocabulary and
 * the model config in the metadata (charnn.vocab, charnn.model: JSON text), so `charnn import` can rebuild a
 * checkpoint and safetensors.torch.load_file + load_state_dict load it into nn.LSTM/nn.GRU/nn.RNN + nn.Linear.
 * Pure: bytes in, bytes out.
 */
import type { NamedTensor } from '../model/layout.js';

export interface SafetensorsFile {
  tensors: NamedTensor[];
  metadata: Record<string, string>;
}

/** Largest header a reader accepts (the format's own limit is 100 MB). */
const MAX_HEADER = 100_000_000;

export function encodeSafetensors(tensors: readonly NamedTensor[], metadata: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let off = 0;
  for (const t of tensors) {
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (n !== t.data.length) throw new Error(`tensor ${t.name}: shape [${t.shape.join(', ')}] needs ${n} values, has ${t.data.length}`);
    header[t.name] = { dtype: 'F32', shape: [...t.shape], data_offsets: [off, off + 4 * n] };
    off += 4 * n;
  }
  let json = JSON.stringify(header);
  const bytes = () => new TextEncoder().encode(json);
  while ((8 + bytes().length) % 8 !== 0) json += ' ';
  const head = bytes();
  const out = new Uint8Array(8 + head.length + off);
  const dv = new DataView(out.buffer);
  dv.setBigUint64(0, BigInt(head.length), true);
  out.set(head, 8);
  let at = 8 + head.length;
  for (const t of tensors) {
    for (let i = 0; i < t.data.length; i++, at += 4) dv.setFloat32(at, t.data[i], true);
  }
  return out;
}

/** Reads a safetensors file of F32 tensors. Throws an Error naming what is wrong. */
export function decodeSafetensors(buf: Uint8Array): SafetensorsFile {
  if (buf.length < 8) throw new Error(`the file has ${buf.length} bytes, too few for a safetensors header`);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const n = dv.getBigUint64(0, true);
  if (n > BigInt(Math.min(MAX_HEADER, buf.length - 8))) throw new Error(`the header length ${n} does not fit the file (${buf.length} bytes): it is not a safetensors file`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(buf.subarray(8, 8 + Number(n)))) as Record<string, unknown>;
  } catch {
    throw new Error('the header is not JSON: it is not a safetensors file');
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw new Error('the header is not a JSON object');
  const base = 8 + Number(n);
  const dataLen = buf.length - base;
  const metadata: Record<string, string> = {};
  const tensors: NamedTensor[] = [];
  for (const [name, v] of Object.entries(header)) {
    if (name === '__metadata__') {
      for (const [k, s] of Object.entries((v ?? {}) as Record<string, unknown>)) if (typeof s === 'string') metadata[k] = s;
      continue;
    }
    const t = v as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (t.dtype !== 'F32') throw new Error(`tensor ${name} is ${String(t.dtype)}; charnn reads F32 tensors only (convert with tensor.float())`);
    const shape = t.shape, offs = t.data_offsets;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) throw new Error(`tensor ${name} has an invalid shape`);
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((d) => Number.isInteger(d) && d >= 0)) throw new Error(`tensor ${name} has invalid data_offsets`);
    const [begin, end] = offs as number[];
    const count = (shape as number[]).reduce((a, b) => a * b, 1);
    if (end - begin !== 4 * count || end > dataLen) throw new Error(`tensor ${name}: its data [${begin}, ${end}) does not hold shape [${shape.join(', ')}] inside the file`);
    const data = new Float32Array(count);
    for (let i = 0; i < count; i++) data[i] = dv.getFloat32(base + begin + 4 * i, true);
    tensors.push({ name, shape: [...(shape as number[])], data });
  }
  // the state_dict order, whatever order the header's keys came in
  tensors.sort((a, b) => (header[a.name] as { data_offsets: number[] }).data_offsets[0] - (header[b.name] as { data_offsets: number[] }).data_offsets[0]);
  return { tensors, metadata };
}
