/**
 * Issue 6, bad input: every way a user can feed charnn a wrong corpus, option, checkpoint or prime, run on the
 * real binary. Each case asserts the exit code, exactly one line `charnn: ...` on stderr (no stack trace), nothing
 * on stdout and no file left behind in the case's folder. Cases of a group run concurrently (tiny inputs: the
 * whole file takes seconds). With CHARNN_RELIABILITY_TABLE set, each case adds a row to the table
 * (scripts/reliability-table.ts).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { smallText, tempDir } from './helpers/cli.js';
import { expectOneLineFailure, listFiles, recordRow, runCharnn, unprivileged, whyNoChattr, type RunResult } from './helpers/reliability.js';

const TINY = ['--hidden', '8', '--layers', '1', '--batch', '2', '--seq', '8', '--eval-every', '0', '--backend', 'js'];

let root: string;
let cleanup: () => void;
let good: string; // a valid checkpoint's text
const corpus = smallText(60);
const nobody = unprivileged();

beforeAll(async () => {
  ({ dir: root, cleanup } = tempDir({ 'corpus.txt': corpus }));
  chmodSync(root, 0o755); // an unprivileged child must be able to enter the case folders
  const r = await runCharnn(['train', 'corpus.txt', ...TINY, '--steps', '2', '--out', 'fixture', '-q'], { cwd: root });
  expect(r.code, r.stderr).toBe(0);
  good = readFileSync(join(root, 'fixture', 'latest.json'), 'utf8');
});
afterAll(() => cleanup());

interface Case {
  name: string;
  args: string[];
  code: number;
  message: RegExp;
  /** files of the case folder (the corpus is always there as corpus.txt) */
  files?: Record<string, string | Uint8Array>;
  /** more preparation in the case folder */
  setup?: (dir: string) => void;
  /** undo what setup did that would stop the folder's removal */
  teardown?: (dir: string) => void;
  stdin?: string | Uint8Array;
  /** run as an unprivileged user (file modes apply); skipped when that is impossible */
  asNobody?: boolean;
  /** why the case cannot run here, if it cannot */
  skip?: () => string | null;
}

let caseNo = 0;
/** Runs a case in a fresh folder and checks the common contract; returns the result for extra checks. */
async function runCase(group: string, c: Case): Promise<RunResult> {
  const dir = join(root, `case-${++caseNo}`);
  mkdirSync(dir, { mode: 0o755 });
  writeFileSync(join(dir, 'corpus.txt'), corpus);
  for (const [name, content] of Object.entries(c.files ?? {})) writeFileSync(join(dir, name), content);
  c.setup?.(dir);
  try {
    const before = listFiles(dir);
    const r = await runCharnn(c.args, { cwd: dir, stdin: c.stdin, ...(c.asNobody ? nobody! : {}) });
    recordRow(group, c.name, r);
    expectOneLineFailure(r, c.code, c.message);
    expect(listFiles(dir), 'no output files are left behind').toEqual(before);
    return r;
  } finally {
    c.teardown?.(dir);
  }
}

function cases(group: string, list: Case[]): void {
  describe.concurrent(group, () => {
    for (const c of list) {
      const why = c.skip?.() ?? (c.asNobody && !nobody ? 'cannot run a child as an unprivileged user here' : null);
      it.skipIf(why !== null)(`${c.name}${why ? ` (skipped: ${why})` : ''}`, async () => {
        await runCase(group, c);
      });
    }
  });
}

const train = (...extra: string[]) => ['train', 'corpus.txt', ...TINY, '--steps', '1', '--out', 'run', ...extra];

// ---- corpus ------------------------------------------------------------------------------------------------------

cases('corpus', [
  { name: 'missing path', args: ['train', 'missing.txt', ...TINY, '--out', 'run'], code: 1, message: /no such file or corpus: missing\.txt \(pass a text file/ },
  // a folder is a corpus of many files (issue 18); an empty one is refused
  { name: 'an empty directory', args: ['train', 'adir', ...TINY, '--out', 'run'], setup: (d) => mkdirSync(join(d, 'adir')), code: 1, message: /corpus folder adir has no files/ },
  {
    name: 'unreadable file (mode 000, as an unprivileged user)',
    args: ['train', 'secret.txt', ...TINY, '--out', 'run'],
    files: { 'secret.txt': corpus },
    setup: (d) => chmodSync(join(d, 'secret.txt'), 0o000),
    asNobody: true,
    code: 1,
    message: /secret\.txt is not readable: permission denied/,
  },
  { name: 'empty file', args: ['train', 'empty.txt', ...TINY, '--out', 'run'], files: { 'empty.txt': '' }, code: 1, message: /empty\.txt is empty/ },
  { name: 'empty stdin', args: ['train', '-', ...TINY, '--out', 'run'], stdin: '', code: 1, message: /the corpus on stdin is empty/ },
  {
    name: 'invalid UTF-8 (refused, bad bytes counted)',
    args: ['train', 'latin1.txt', ...TINY, '--out', 'run'],
    files: { 'latin1.txt': Buffer.concat([Buffer.from(corpus), Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x20, 0xe0, 0x0a])]) },
    code: 1,
    message: /not valid UTF-8: 2 invalid bytes, the first at byte offset \d+ \(convert it to UTF-8/,
  },
  {
    name: 'binary data',
    args: ['train', 'data.bin', ...TINY, '--out', 'run'],
    files: { 'data.bin': Uint8Array.from({ length: 4096 }, (_, i) => (i * 7919) & 0xff) },
    code: 1,
    message: /looks binary|not valid UTF-8/,
  },
  {
    name: 'binary data on stdin',
    args: ['train', '-', ...TINY, '--out', 'run'],
    stdin: Uint8Array.from({ length: 4096 }, (_, i) => (i * 31) & 0xff),
    code: 1,
    message: /looks binary|not valid UTF-8/,
  },
  {
    name: 'too small for batch and sequence length',
    args: ['train', 'tiny.txt', '--batch', '32', '--seq', '64', '--out', 'run'],
    files: { 'tiny.txt': 'hello world\n'.repeat(20) },
    code: 1,
    message: /too small for batch 32 and sequence length 64.*\(reduce --batch or --seq/,
  },
  {
    name: 'vocabulary too large (74,884 distinct characters)',
    args: ['train', 'unicode.txt', ...TINY, '--out', 'run'],
    files: { 'unicode.txt': manyCharacters() },
    code: 1,
    message: /the corpus has 74,884 distinct characters, more than charnn's limit of 65,536 \(.*is it really text\?\)/,
  },
  {
    name: 'model too large for memory (--hidden 16384 --layers 64)',
    args: ['train', 'corpus.txt', '--hidden', '16384', '--layers', '64', '--backend', 'js', '--out', 'run'],
    code: 1,
    message: /cannot build the model: the model \((?:lstm|gru|rnn) 64x16384, vocabulary \d+, batch \d+ x seq \d+\) needs about [\d.]+ TB of memory to train, more than this machine has \([\d.]+ GB\) \(lower --hidden, --layers/,
  },
  {
    name: 'model too large for the wasm backend (--hidden 4096 --layers 3)',
    args: ['train', 'corpus.txt', '--hidden', '4096', '--layers', '3', '--backend', 'wasm', '--out', 'run'],
    code: 1,
    message: /needs about [\d.]+ GB of memory to train, more than the wasm backend can address \(4 GiB\)/,
  },
]);

/** CJK ideographs, Hangul syllables and CJK extension B: 74,884 distinct code points, each twice. */
function manyCharacters(): string {
  const ranges = [[0x4e00, 0x9fff], [0xac00, 0xd7a3], [0x20000, 0x2a6df]];
  const cps: number[] = [];
  for (const [a, b] of ranges) for (let c = a; c <= b; c++) cps.push(c);
  const s = String.fromCodePoint(...cps.slice(0, 30000)) + String.fromCodePoint(...cps.slice(30000));
  return s + s;
}

// ---- options -----------------------------------------------------------------------------------------------------

const USAGE = 2;
cases('options', [
  { name: 'unknown flag', args: train('--bogus'), code: USAGE, message: /unknown option '--bogus' \(see charnn train --help\)/ },
  { name: 'misspelt flag', args: train('--stpes', '3'), code: USAGE, message: /unknown option '--stpes' \(did you mean --steps\?/ },
  { name: 'unknown command', args: ['trian', 'corpus.txt'], code: USAGE, message: /unknown command 'trian' \(did you mean train\?/ },
  { name: 'missing value', args: ['train', 'corpus.txt', '--out', 'run', '--steps'], code: USAGE, message: /--steps needs a value/ },
  { name: 'not a number', args: train('--batch', 'many'), code: USAGE, message: /--batch "many": not a number/ },
  { name: 'NaN', args: train('--lr', 'NaN'), code: USAGE, message: /--lr "NaN": not a number/ },
  { name: 'Infinity', args: train('--lr', 'Infinity'), code: USAGE, message: /--lr "Infinity": not a number/ },
  { name: 'fraction where a count is needed', args: train('--seq', '2.5'), code: USAGE, message: /--seq "2.5": must be a whole number/ },
  { name: 'zero batch', args: train('--batch', '0'), code: USAGE, message: /--batch "0": must be at least 1/ },
  { name: 'zero layers', args: train('--layers', '0'), code: USAGE, message: /--layers "0": must be between 1 and/ },
  { name: 'negative hidden size', args: train('--hidden', '-5'), code: USAGE, message: /--hidden "-5": must be between 1 and/ },
  { name: 'negative steps', args: train('--steps', '-1'), code: USAGE, message: /--steps "-1": must be at least 0/ },
  { name: 'zero learning rate', args: train('--lr', '0'), code: USAGE, message: /--lr "0": must be greater than 0/ },
  { name: 'dropout 1', args: train('--dropout', '1'), code: USAGE, message: /--dropout "1": must be in \[0, 1\)/ },
  { name: 'dropout below 0', args: train('--dropout', '-0.1'), code: USAGE, message: /--dropout "-0.1": must be in \[0, 1\)/ },
  { name: 'val-frac 1', args: train('--val-frac', '1'), code: USAGE, message: /--val-frac "1": must be in \[0, 1\)/ },
  { name: 'val-frac above 1', args: train('--val-frac', '1.5'), code: USAGE, message: /--val-frac "1.5": must be in \[0, 1\)/ },
  { name: 'top-p 0', args: ['sample', 'x.json', '--top-p', '0'], code: USAGE, message: /--top-p "0": must be in \(0, 1\]/ },
  { name: 'top-p above 1', args: ['sample', 'x.json', '--top-p', '1.5'], code: USAGE, message: /--top-p "1.5": must be in \(0, 1\]/ },
  { name: 'temperature below 0', args: ['sample', 'x.json', '--temp', '-0.5'], code: USAGE, message: /--temp "-0.5": must be at least 0/ },
  { name: 'length below 0', args: ['sample', 'x.json', '--length', '-1'], code: USAGE, message: /--length "-1": must be at least 0/ },
  { name: 'length below 0 (short flag)', args: ['sample', 'x.json', '-n', '-1'], code: USAGE, message: /--length "-1": must be at least 0/ },
  { name: 'unknown cell type', args: train('--cell', 'transformer'), code: USAGE, message: /--cell "transformer": must be one of lstm, gru, rnn/ },
  { name: 'unknown optimizer', args: train('--optimizer', 'adagrad'), code: USAGE, message: /--optimizer "adagrad": must be one of adam, adamw, rmsprop, sgd/ },
  {
    name: 'output folder under a regular file',
    args: ['train', 'corpus.txt', ...TINY, '--steps', '1', '--out', 'afile/run'],
    files: { afile: 'not a folder' },
    code: 1,
    message: /cannot use output folder afile\/run: a part of the path is a file, not a folder/,
  },
  {
    name: 'unwritable output folder (as an unprivileged user)',
    args: ['train', 'corpus.txt', ...TINY, '--steps', '1', '--out', 'locked/run'],
    setup: (d) => mkdirSync(join(d, 'locked'), { mode: 0o555 }),
    asNobody: true,
    code: 1,
    message: /cannot use output folder locked\/run: permission denied \(choose a writable folder with --out\)/,
  },
  {
    name: 'immutable output folder (chattr +i, even for root)',
    args: ['train', 'corpus.txt', ...TINY, '--steps', '1', '--out', 'frozen'],
    setup: (d) => {
      mkdirSync(join(d, 'frozen'));
      spawnSync('chattr', ['+i', join(d, 'frozen')]);
    },
    teardown: (d) => spawnSync('chattr', ['-i', join(d, 'frozen')]),
    skip: () => whyNoChattr(tmpdir()),
    code: 1,
    message: /cannot use output folder frozen: operation not permitted/,
  },
]);

// ---- checkpoints ---------------------------------------------------------------------------------------------------

/** A checkpoint edited as JSON. */
const edit = (fn: (c: Record<string, any>) => void) => () => {
  const c = JSON.parse(good);
  fn(c);
  return JSON.stringify(c);
};
const flipBit = (c: Record<string, any>) => {
  const t = c.tensors['decoder.bias'];
  const b = Buffer.from(t.data, 'base64');
  b[5] ^= 0x01; // a low mantissa bit: the checksum, not a shape, has to catch it
  t.data = b.toString('base64');
};
const ckptCases: Array<[string, () => string, RegExp]> = [
  ['empty', () => '', /the file is empty/],
  ['truncated', () => good.slice(0, Math.floor(good.length * 0.6)), /the file is truncated/],
  ['not JSON', () => 'hello\n', /the file is not JSON/],
  ['another JSON document', () => '{"name":"charnn","version":"1.0.0"}', /not a charnn checkpoint/],
  ['a JSON list', () => '[1, 2, 3]', /not a charnn checkpoint/],
  ['wrong format tag', edit((c) => (c.format = 'torch-checkpoint')), /wrong format tag "torch-checkpoint", expected "charnn-checkpoint"/],
  ['newer version', edit((c) => ((c.version = 9), (c.charnn = '7.1.0'))), /format version 9 \(written by charnn 7\.1\.0\) is newer .* \(upgrade charnn to 7\.1\.0 or later/],
  ['checksum mismatch (one flipped bit)', edit(flipBit), /checksum mismatch/],
  ['tensor shapes do not match the config', edit((c) => (c.model.hidden = 9)), /tensor rnn\.weight_ih_l0 has shape \[\d+, \d+\] but the config \((?:lstm|gru|rnn) 1x9/],
  ['vocabulary does not match the tensors', edit((c) => ((c.vocab = c.vocab.slice(0, -1)), (c.model.vocabSize -= 1))), /the vocabulary has \d+ characters but decoder\.weight has \d+ rows/],
  ['vocabulary entry of two characters', edit((c) => (c.vocab[0] = 'ab')), /vocabulary entry 0 is not a single character/],
];

cases('checkpoints', [
  { name: 'missing', args: ['sample', 'none.json', '-n', '5'], code: 1, message: /cannot load checkpoint none\.json: no such file/ },
  { name: 'a folder', args: ['sample', 'adir', '-n', '5'], setup: (d) => mkdirSync(join(d, 'adir')), code: 1, message: /cannot load checkpoint adir: it is a folder/ },
  ...ckptCases.map(([name, make, message]): Case => ({
    name,
    args: ['sample', 'bad.json', '-n', '5'],
    setup: (d) => writeFileSync(join(d, 'bad.json'), make()),
    code: 1,
    message: new RegExp(/^charnn: cannot load checkpoint bad\.json: /.source + '.*' + message.source),
  })),
  {
    name: 'resume from a corrupt checkpoint (train --resume)',
    args: ['train', 'corpus.txt', '--resume', 'bad.json', '--steps', '1', '--backend', 'js'],
    setup: (d) => writeFileSync(join(d, 'bad.json'), edit(flipBit)()),
    code: 1,
    message: /cannot load checkpoint bad\.json: checksum mismatch/,
  },
  {
    name: 'info on a truncated checkpoint',
    args: ['info', 'bad.json'],
    setup: (d) => writeFileSync(join(d, 'bad.json'), good.slice(0, 100)),
    code: 1,
    message: /cannot load checkpoint bad\.json: the file is truncated/,
  },
]);

// ---- sampling ------------------------------------------------------------------------------------------------------

cases('sampling', [
  {
    name: 'prime with unseen characters',
    args: ['sample', 'good.json', '--prime', 'the €uro QZ', '-n', '50'],
    setup: (d) => writeFileSync(join(d, 'good.json'), good),
    code: 1,
    message: /the prime has \d+ characters? the model never saw: "€" \(U\+20AC\).*\(remove them, or pass --skip-unknown/,
  },
  {
    name: 'prime longer than the length',
    args: ['sample', 'good.json', '--prime', 'the quick brown fox', '-n', '5'],
    setup: (d) => writeFileSync(join(d, 'good.json'), good),
    code: USAGE,
    message: /the prime has 19 characters, more than --length 5/,
  },
  {
    name: 'prime file missing',
    args: ['sample', 'good.json', '--prime-file', 'nope.txt', '-n', '50'],
    setup: (d) => writeFileSync(join(d, 'good.json'), good),
    code: 1,
    message: /cannot read the prime file nope\.txt: no such file/,
  },
]);
