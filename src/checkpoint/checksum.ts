/**
 * The checkpoint checksum, versioned with the file format (the `version` field decides which scheme applies).
 *
 * Version 1 (charnn 0.1 before the vocabulary was covered): SHA-256 over the tensors only. Byte stream, tensors
 * sorted by name inside each group so key order in the file does not matter:
 *   for group in ['tensors', 'optimizer.<slot>' for each slot sorted, 'state']:
 *     for tensor in group (by name): utf8(group + '/' + name + ':' + shape.join('x') + '\n') then its data bytes
 *
 * Version 2: everything that gives the weights their meaning is covered too (the vocabulary maps output rows to
 * characters, the model config says how to read the tensors, the corpus and training config say what the text was
 * and how it was prepared, the progress and RNG say where a resume continues). The stream is
 *   utf8('charnn-checkpoint/2\n' + canonicalJson(header) + '\n') then the version-1 tensor stream,
 * where `header` is every field of the document except `checksum`, the tensor data (`tensors`, the optimizer's
 * `slots`, `state`), with the optimizer as `{name, t}`. canonicalJson is JSON.stringify with object keys sorted
 * at every depth, so a file re-serialised by another tool (key order, whitespace) still verifies.
 * Written as 'sha256:<hex>'.
 *
 * Float16 tensors (compact sampling-only files, half.ts): their line is `group/name:shape:float16\n` and the bytes
 * hashed are the stored halves, so the checksum covers exactly what is on disk and a float32 tensor relabelled
 * float16 (or the reverse) does not verify. Float32 tensors hash as above, so files without float16 are unchanged.
 */
import { createHash, type Hash } from 'node:crypto';
import { CheckpointError } from './errors.js';
import type { Tensor } from './schema.js';
import { storedBytes } from './tensor-codec.js';

export interface ChecksumInput {
  tensors: Tensor[];
  optimizerSlots: Record<string, Tensor[]> | null;
  state: { shape: number[]; data: Float32Array } | null;
}

/** Version-1 checksum: the tensors alone. */
export function checkpointChecksum(x: ChecksumInput): string {
  const h = createHash('sha256');
  hashTensors(h, x);
  return 'sha256:' + h.digest('hex');
}

/** Version-2 checksum: the header fields (see the file comment), then the tensors. */
export function checkpointChecksumV2(header: Record<string, unknown>, x: ChecksumInput): string {
  const h = createHash('sha256');
  h.update(`charnn-checkpoint/2\n${canonicalJson(header)}\n`, 'utf8');
  hashTensors(h, x);
  return 'sha256:' + h.digest('hex');
}

function hashTensors(h: Hash, x: ChecksumInput): void {
  const group = (g: string, list: Tensor[]) => {
    const sorted = [...list].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const t of sorted) {
      const dtype = t.storage ?? 'float32';
      h.update(`${g}/${t.name}:${t.shape.join('x')}${dtype === 'float32' ? '' : ':' + dtype}\n`, 'utf8');
      h.update(storedBytes(t.data, dtype)); // a float16 tensor's data re-encode to exactly its stored halves (half.ts)
    }
  };
  group('tensors', x.tensors);
  if (x.optimizerSlots) {
    for (const slot of Object.keys(x.optimizerSlots).sort()) group(`optimizer.${slot}`, x.optimizerSlots[slot]);
  }
  if (x.state) group('state', [{ name: 'hidden', shape: x.state.shape, data: x.state.data }]);
}

/** JSON with sorted keys at every depth; values as JSON itself writes them (undefined fields dropped, as in the file). */
export function canonicalJson(value: unknown): string {
  // depth-checked before any recursion: a value nested past MAX_DEPTH is refused as a clean error (files are
  // limited to 64 levels when parsed, bounded.ts; this guards values built in memory, e.g. a library caller's)
  const sortKeys = (v: unknown, depth: number): unknown => {
    if (depth > MAX_DEPTH) throw new CheckpointError(`a field is nested more than ${MAX_DEPTH} levels deep`, 'checkpoints hold plain, shallow values');
    if (Array.isArray(v)) return v.map((x) => sortKeys(x, depth + 1));
    if (v !== null && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(v).sort()) out[k] = sortKeys((v as Record<string, unknown>)[k], depth + 1);
      return out;
    }
    return v;
  };
  checkDepth(value);
  // the round trip makes the in-memory value read exactly as the parsed file does (undefined, -0, toJSON)
  return JSON.stringify(sortKeys(JSON.parse(JSON.stringify(value ?? null)), 0));
}

const MAX_DEPTH = 100;

/** An iterative walk: the value nests at most MAX_DEPTH levels (before JSON.stringify recurses into it). */
function checkDepth(value: unknown): void {
  const stack: Array<[unknown, number]> = [[value, 0]];
  const seen = new Set<object>();
  while (stack.length) {
    const [v, d] = stack.pop()!;
    if (v === null || typeof v !== 'object' || seen.has(v)) continue;
    seen.add(v);
    if (d >= MAX_DEPTH) throw new CheckpointError(`a field is nested more than ${MAX_DEPTH} levels deep`, 'checkpoints hold plain, shallow values');
    for (const x of Array.isArray(v) ? v : Object.values(v)) if (x !== null && typeof x === 'object') stack.push([x, d + 1]);
  }
}
