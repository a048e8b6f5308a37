/**
 * `import`: a safetensors file (from charnn export, or a PyTorch state_dict of the same model) as a sampling
 * checkpoint, as its phases: plan (the file to write, refused when it exists unless --overwrite), run (read,
 * convert, with the vocabulary of --vocab-from for files without charnn metadata; written atomically), report (what
 * was made on io.info, its path on io.out).
 */
import { resolve } from 'node:path';
import { readBoundedFile } from '../checkpoint/bounded.js';
import { checkpointToText } from '../checkpoint/codec.js';
import { writeFileAtomic } from '../checkpoint/io.js';
import { encodeUtf8 } from '../data/vocab.js';
import { checkpointFromSafetensors } from '../export/convert.js';
import { attemptSync, CharnnError } from '../errors.js';
import { displayPath } from '../fs-probe.js';
import type { IMPORT, Values } from '../options.js';
import { readTextBytes } from './common/text.js';
import { refuseExisting, withExt } from './export.js';
import type { Io } from './io.js';

export type ImportValues = Values<typeof IMPORT>;

interface ImportPlan {
  o: ImportValues;
  /** absolute paths of the safetensors file and of the checkpoint to write */
  source: string;
  file: string;
}

export interface Imported {
  /** the checkpoint written, as the user would type it */
  path: string;
  checkpoint: ReturnType<typeof checkpointFromSafetensors>;
}

function planImport(values: ImportValues, fileArg: string, io: Io): ImportPlan {
  const source = resolve(io.cwd, fileArg);
  const file = resolve(io.cwd, values.output || withExt(fileArg, '.json'));
  refuseExisting(file, values.overwrite, 'cannot import', io.cwd);
  return { o: { ...values }, source, file };
}

async function runImport(plan: ImportPlan, io: Io): Promise<Imported> {
  const shown = displayPath(plan.source, io.cwd);
  let vocab: string[] | undefined;
  if (plan.o.vocabFrom) {
    const corpus = await readTextBytes(plan.o.vocabFrom, io, 'cannot read the --vocab-from corpus');
    vocab = [...attemptSync('cannot read the --vocab-from corpus', () => encodeUtf8(corpus).vocab.chars)];
  }
  // read only once the vocabulary is known, and held by nothing but the conversion (memory: docs/reliability.md)
  const readSource = () => attemptSync(`cannot read ${shown}`, () => {
    try {
      return readBoundedFile(plan.source); // a regular file within the size ceiling (bounded.ts)
    } catch (e) {
      if (e instanceof CharnnError) throw e;
      const code = (e as NodeJS.ErrnoException).code;
      throw new CharnnError(code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a folder' : code === 'EACCES' ? 'permission denied' : (e as Error).message, 'check the path');
    }
  });
  const c = attemptSync(`cannot import ${shown}`, () => checkpointFromSafetensors(readSource(), vocab));
  const text = attemptSync(`cannot import ${shown}`, () => checkpointToText(c));
  const path = displayPath(plan.file, io.cwd);
  attemptSync(`cannot write ${path}`, () => writeFileAtomic(plan.file, text));
  return { path, checkpoint: c };
}

async function reportImport(r: Imported, io: Io): Promise<void> {
  const m = r.checkpoint.model;
  io.info(`imported ${m.cell} ${m.layers}x${m.hidden} (vocabulary ${m.vocabSize}) as a sampling checkpoint`);
  await io.out.write(r.path + '\n');
}

/** The whole command: plan, run, report. */
export async function importModel(values: ImportValues, fileArg: string, io: Io): Promise<Imported> {
  const r = await runImport(planImport(values, fileArg, io), io);
  await reportImport(r, io);
  return r;
}
