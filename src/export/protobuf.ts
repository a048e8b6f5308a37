/**
 * A minimal Protocol Buffers encoder: just what an ONNX model needs (varints, length-delimited strings, bytes and
 * nested messages, packed int64). A message is built as a list of byte chunks, so large tensors (raw_data) are
 * copied once, when the whole file is joined. Wire format: https://protobuf.dev/programming-guides/encoding/
 */

const enum Wire {
  VARINT = 0,
  LEN = 2,
  I32 = 5,
}

const utf8 = new TextEncoder();

/** The varint bytes of a non-negative integer, or of a negative int64 as its 64-bit two's complement (10 bytes). */
export function varint(value: number | bigint): Uint8Array {
  let v = typeof value === 'bigint' ? BigInt.asUintN(64, value) : value >= 0 && Number.isSafeInteger(value) ? null : BigInt.asUintN(64, BigInt(value));
  const out: number[] = [];
  if (v === null) {
    let n = value as number;
    while (n >= 0x80) {
      out.push((n % 0x80) | 0x80);
      n = Math.floor(n / 0x80);
    }
    out.push(n);
  } else {
    while (v >= 0x80n) {
      out.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    out.push(Number(v));
  }
  return Uint8Array.from(out);
}

export class Message {
  private readonly chunks: Uint8Array[] = [];
  /** bytes so far */
  length = 0;

  private push(b: Uint8Array): void {
    this.chunks.push(b);
    this.length += b.length;
  }

  private tag(field: number, wire: Wire): void {
    this.push(varint(field * 8 + wire));
  }

  /** int32 / int64 / enum / bool field (negative values as int64 two's complement). */
  int(field: number, value: number | bigint): this {
    this.tag(field, Wire.VARINT);
    this.push(varint(value));
    return this;
  }

  /** float field (fixed 32 bits, little-endian). */
  float(field: number, value: number): this {
    this.tag(field, Wire.I32);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    this.push(b);
    return this;
  }

  bytes(field: number, data: Uint8Array): this {
    this.tag(field, Wire.LEN);
    this.push(varint(data.length));
    this.push(data);
    return this;
  }

  string(field: number, s: string): this {
    return this.bytes(field, utf8.encode(s));
  }

  /** A nested message. */
  message(field: number, m: Message): this {
    this.tag(field, Wire.LEN);
    this.push(varint(m.length));
    for (const c of m.chunks) this.push(c);
    return this;
  }

  /** repeated int64, packed (one length-delimited run of varints). */
  packedInts(field: number, values: readonly number[]): this {
    const parts = values.map((v) => varint(v));
    const body = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let off = 0;
    for (const p of parts) {
      body.set(p, off);
      off += p.length;
    }
    return this.bytes(field, body);
  }

  /** The encoded message, joined into one array. */
  finish(): Uint8Array {
    const out = new Uint8Array(this.length);
    let off = 0;
    for (const c of this.chunks) {
      out.set(c, off);
      off += c.length;
    }
    return out;
  }
}
