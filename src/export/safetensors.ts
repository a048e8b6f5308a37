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
import { endianness } from 'node:os';
import { parseJsonBounded, type JsonLimits } from '../checkpoint/bounded.js';
import { CharnnError, quote } from '../errors.js';
import type { NamedTensor } from '../model/layout.js';

const LITTLE = endianness() === 'LE';

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

/** Bytes per element of each dtype the format defines (safetensors' Dtype); charnn reads F32 only, but checks
 *  every entry's byte count with its own width first, as the reference loader does. */
const DTYPE_BYTES: Record<string, number> = { BOOL: 1, U8: 1, I8: 1, F8_E5M2: 1, F8_E4M3: 1, I16: 2, U16: 2, F16: 2, BF16: 2, I32: 4, U32: 4, F32: 4, F64: 8, I64: 8, U64: 8 };

/** The header's limits: far past any state_dict's (depth 3, a few values per tensor), far below what costs memory. */
const HEADER_LIMITS: JsonLimits = { depth: 8, values: 1_000_000, string: 10_000_000, uniqueTopKeys: true };

interface Entry {
  name: string;
  dtype: string;
  shape: number[];
  count: number;
  begin: number;
  end: number;
}

/**
 * Reads a safetensors file of F32 tensors, as strictly as the reference loader: the header length within the file,
 * the header a JSON object of objects with unique names, each entry's dtype known, its shape natural numbers and
 * its byte count exactly count x width, the entries' byte ranges contiguous from 0 to the end of the file (so none
 * overlaps another or leaves the buffer). Every check comes before a byte of tensor data is copied. Throws an Error
 * naming what is wrong (names and values cut and escaped).
 */
export function decodeSafetensors(buf: Uint8Array): SafetensorsFile {
  if (buf.length < 8) throw new Error(`the file has ${buf.length} bytes, too few for a safetensors header`);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const n = dv.getBigUint64(0, true);
  if (n > BigInt(Math.min(MAX_HEADER, buf.length - 8))) throw new Error(`the header length ${n} does not fit the file (${buf.length} bytes): it is not a safetensors file`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(buf.subarray(8, 8 + Number(n)));
  } catch {
    throw new Error('the header is not UTF-8 text: it is not a safetensors file');
  }
  let header: unknown;
  try {
    header = parseJsonBounded(text, HEADER_LIMITS, 'the header');
  } catch (e) {
    if (e instanceof CharnnError) throw new Error(`the header: ${e.why}`);
    throw new Error('the header is not JSON: it is not a safetensors file');
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw new Error('the header is not a JSON object');
  const base = 8 + Number(n);
  const dataLen = buf.length - base;
  const metadata: Record<string, string> = {};
  const entries: Entry[] = [];
  for (const [name, v] of Object.entries(header)) {
    const shown = quote(name);
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(`entry ${shown} is ${quote(v)}, not an object`);
    if (name === '__metadata__') {
      for (const [k, s] of Object.entries(v)) {
        if (typeof s !== 'string') throw new Error(`metadata ${quote(k)} is ${quote(s)}, not a string`);
        metadata[k] = s;
      }
      continue;
    }
    const t = v as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const width = typeof t.dtype === 'string' && Object.hasOwn(DTYPE_BYTES, t.dtype) ? DTYPE_BYTES[t.dtype] : 0;
    if (!width) throw new Error(`tensor ${shown} has dtype ${quote(t.dtype)}, which is not a safetensors dtype`);
    const shape = t.shape, offs = t.data_offsets;
    if (!Array.isArray(shape) || shape.length > 8 || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw new Error(`tensor ${shown} has an invalid shape`);
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((d) => Number.isSafeInteger(d) && d >= 0)) throw new Error(`tensor ${shown} has invalid data_offsets`);
    let count = 1;
    for (const d of shape as number[]) count *= d;
    const [begin, end] = offs as number[];
    if (!Number.isSafeInteger(count * width) || end < begin || end - begin !== count * width) {
      throw new Error(`tensor ${shown}: its data [${begin}, ${end}) is not the ${count * width} bytes that shape [${(shape as number[]).join(', ')}] of ${t.dtype} needs`);
    }
    entries.push({ name, dtype: t.dtype as string, shape: [...(shape as number[])], count, begin, end });
  }
  // the state_dict order, whatever order the header's keys came in; the ranges must tile the data exactly
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  for (const e of entries) {
    if (e.begin < at) throw new Error(`tensor ${quote(e.name)}: its data [${e.begin}, ${e.end}) overlaps another tensor's`);
    if (e.begin > at) throw new Error(`tensor ${quote(e.name)}: its data starts at ${e.begin}, leaving bytes [${at}, ${e.begin}) that no tensor holds`);
    at = e.end;
  }
  if (at !== dataLen) throw new Error(at > dataLen ? `the tensors need ${at} bytes of data but the file has ${dataLen} (it is truncated)` : `the file has ${dataLen - at} bytes after the last tensor's data`);
  const other = entries.find((e) => e.dtype !== 'F32');
  if (other) throw new Error(`tensor ${quote(other.name)} is ${other.dtype}; charnn reads F32 tensors only (convert with tensor.float())`);
  const tensors: NamedTensor[] = entries.map((e) => {
    const data = new Float32Array(e.count);
    if (LITTLE) new Uint8Array(data.buffer).set(buf.subarray(base + e.begin, base + e.end));
    else for (let i = 0; i < e.count; i++) data[i] = dv.getFloat32(base + e.begin + 4 * i, true);
    return { name: e.name, shape: e.shape, data };
  });
  return { tensors, metadata };
}
