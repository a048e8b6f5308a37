/**
 * The companion's canonical_json (torch/charnn_json.py) against charnn's canonicalJson (src/checkpoint/checksum.ts),
 * the version-2 checksum's header text: for the same JSON text, Python's output must be JavaScript's byte for byte.
 * Oracle: charnn's own function in this process. One Python process reads a batch of JSON texts (one a line) and
 * prints its canonical form of each. Needs only a python3 (charnn_json is standard library); skips without one.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../src/checkpoint/checksum.js';
import { PYTHON, ROOT } from '../torch/equivalence.js';

const SCRIPT = `
import sys
sys.path.insert(0, ${JSON.stringify(join(ROOT, 'torch'))})
import json
from charnn_json import canonical_json
for line in sys.stdin.buffer.read().decode("utf-8").split("\\n")[:-1]:
    sys.stdout.buffer.write((canonical_json(json.loads(line)) + "\\n").encode("utf-8"))
`;

/** Python's canonical text of each JSON text (texts must not hold a raw newline: JSON text never needs one). */
function pythonCanonical(texts: string[]): string[] {
  // lone surrogates are escaped in the texts, so the stdin is valid UTF-8
  const r = spawnSync(PYTHON, ['-c', SCRIPT], { input: texts.map((t) => t + '\n').join(''), encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`python failed: ${r.stderr}`);
  const lines = r.stdout.split('\n');
  expect(lines.pop()).toBe('');
  return lines;
}

function expectSame(texts: string[]): void {
  const py = pythonCanonical(texts);
  expect(py.length).toBe(texts.length);
  // one mismatch reported with its input, not a wall of diffs
  const bad = texts.map((t, i) => ({ text: t, python: py[i], charnn: canonicalJson(JSON.parse(t)) })).filter((x) => x.python !== x.charnn);
  expect(bad.slice(0, 3)).toEqual([]);
}

const SEED = 20261201;

describe.skipIf(!existsSync(PYTHON))('canonical JSON in Python equals charnn\'s', () => {
  it('tricky numbers, strings and keys', () => {
    const numbers = [
      '0', '-0', '-0.0', '0.0', '2.0', '2.50e3', '1E2', '0.1', '0.2', '0.30000000000000004', '1e-7', '1e-6', '1.5e-6', '0.000001',
      '0.0000001', '1e20', '1e21', '1.5e21', '123456789012345678901', '999999999999999999999', '9007199254740993',
      '18446744073709551616', '12345678901234567890123456789', '5e-324', '2.2250738585072014e-308', '1.7976931348623157e308',
      '1e400', '-1e400', '-1e-7', '-123.456', '100', '1e16', '1e15', '123e-20', '4.35', '0.1e1', '-5e-324', '1e-400',
    ];
    const strings = [
      '""', '"plain"', '"quote \\" backslash \\\\ slash \\/"', '"\\b\\f\\n\\r\\t"', '"\\u0000\\u0001\\u001f\\u007f\\u0080"',
      '"\\u2028\\u2029"', '"é ß 中文"', '"\\ud83d\\ude00 😀"', '"\\ud800"', '"\\udfff x"', '"\\ude00\\ud83d"', '"\\uffff\\ufeff"',
    ];
    const objects = [
      '{"b":1,"a":2,"A":3,"_":4}', '{"10":1,"9":2,"01":3,"a":4,"4294967294":5,"4294967295":6,"-1":7,"1.0":8,"0":9}',
      '{"\\uffff":1,"😀":2,"\\ue000":3,"\\ud800":4,"":5}', '{"z":{"y":[{"b":1,"a":[2.0,-0.0,{"d":null,"c":true}]}],"x":false}}',
      '[]', '{}', 'null', 'true', '[1e21,{"k":"\\u0007"}]', '{"a":1,"a":2}', '{"²":1,"2":2}',
    ];
    expectSame([...numbers, ...strings, ...objects]);
  });

  it('random doubles in every layout JSON allows', () => {
    const bits = fc.tuple(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 0xffffffff })).map(([hi, lo]) => {
      const b = new DataView(new ArrayBuffer(8));
      b.setUint32(0, hi);
      b.setUint32(4, lo);
      return b.getFloat64(0);
    });
    const doubles = fc.sample(fc.oneof(bits, fc.double(), fc.double({ min: -1e6, max: 1e6 }), fc.integer(), fc.maxSafeInteger()), { numRuns: 2000, seed: SEED });
    const finite = doubles.filter(Number.isFinite);
    // the same value written as JavaScript writes it, in exponent form and with many digits
    const texts = finite.flatMap((x) => [JSON.stringify(x), x.toExponential(), x.toPrecision(21)]);
    texts.push(...fc.sample(fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }), { numRuns: 300, seed: SEED }).map(String));
    expectSame(texts);
  });

  it('random JSON documents with any Unicode (lone surrogates included) in strings and keys', () => {
    const unit = fc.oneof(fc.integer({ min: 0, max: 0x7f }), fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0x10000, max: 0x10ffff }));
    const str = fc.array(unit, { maxLength: 8 }).map((cs) => cs.map((c) => String.fromCodePoint(c)).join(''));
    const key = fc.oneof(str, fc.nat({ max: 5000 }).map(String), fc.constantFrom('0', '01', '4294967294', '4294967295'));
    const { value } = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        fc.constant(null), fc.boolean(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer(), str,
        fc.array(tie('value'), { maxLength: 4 }),
        fc.dictionary(key, tie('value'), { maxKeys: 5 }),
      ),
    }));
    const docs = fc.sample(value, { numRuns: 500, seed: SEED });
    // the texts a tool other than charnn might write: any key order, unsorted (JSON.stringify keeps insertion order)
    expectSame(docs.map((d) => JSON.stringify(d)));
  });
});
