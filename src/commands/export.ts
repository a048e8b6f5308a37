/**
 * `export`: a model out to the field's weight formats (safetensors, ONNX) or as a sampling-only charnn checkpoint
 * (float32 or float16), as its phases: plan (the checkpoint, a run folder's too; the format from --format, else from
 * --output's extension, else safetensors; the file, refused when it exists unless --overwrite), run (the bytes,
 * written atomically), report (what was written on io.info, its path on io.out).
 */
import { existsSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { checkpointToText } from '../checkpoint/codec.js';
import { writeFileAtomic } from '../checkpoint/io.js';
import { samplingOnly } from '../checkpoint/sampling-only.js';
import { exportCheckpoint, type ExportFormat } from '../export/convert.js';
import { attemptSync, CharnnError } from '../errors.js';
import { displayPath } from '../fs-probe.js';
import type { EXPORT, Values } from '../options.js';
import { chooseCheckpoint, type ChosenCheckpoint } from './common/checkpoint-arg.js';
import type { Io } from './io.js';

export type ExportValues = Values<typeof EXPORT>;

interface ExportPlan {
  chosen: ChosenCheckpoint;
  format: NonNullable<ExportValues['format']> | 'safetensors';
  /** absolute path of the file to write */
  file: string;
}

export interface Exported {
  /** the file written, as the user would type it */
  path: string;
  format: string;
  bytes: number;
}

/** `path` with its extension replaced by `ext`. */
export const withExt = (path: string, ext: string) => (extname(path) ? path.slice(0, -extname(path).length) : path) + ext;

/** An existing file is replaced only with --overwrite. */
export function refuseExisting(file: string, overwrite: boolean, what: string, cwd: string): void {
  if (existsSync(file) && !overwrite) throw CharnnError.usage(`${displayPath(file, cwd)} exists`, 'add --overwrite to replace it, or choose another -o', what);
}

function planExport(o: ExportValues, checkpointArg: string, io: Io): ExportPlan {
  const fromExt = o.output && extname(o.output) === '.onnx' ? 'onnx' : o.output && extname(o.output) === '.json' ? 'charnn' : 'safetensors';
  const format = o.format || fromExt;
  const ext: Record<string, string> = { charnn: '.sampling.json', 'charnn-f16': '.f16.json' };
  const file = o.output ? resolve(io.cwd, o.output) : '';
  if (file) refuseExisting(file, o.overwrite, 'cannot export', io.cwd);
  const chosen = chooseCheckpoint(checkpointArg, io, 'cannot export');
  const out = file || withExt(chosen.file, ext[format] ?? `.${format}`);
  if (!file) refuseExisting(out, o.overwrite, 'cannot export', io.cwd);
  return { chosen, format, file: out };
}

function runExport(plan: ExportPlan, io: Io): Exported {
  const { chosen, format, file } = plan;
  const bytes = attemptSync(`cannot export ${displayPath(chosen.file, io.cwd)} as ${format}`, () =>
    format === 'charnn' || format === 'charnn-f16'
      ? Buffer.from(checkpointToText(samplingOnly(chosen.checkpoint, format === 'charnn-f16' ? 'float16' : 'float32')), 'utf8')
      : exportCheckpoint(chosen.checkpoint, format as ExportFormat),
  );
  const path = displayPath(file, io.cwd);
  attemptSync(`cannot write ${path}`, () => writeFileAtomic(file, bytes));
  return { path, format, bytes: bytes.length };
}

async function reportExport(plan: ExportPlan, r: Exported, io: Io): Promise<void> {
  const m = plan.chosen.checkpoint.model;
  io.info(`exported ${m.cell} ${m.layers}x${m.hidden} (vocabulary ${m.vocabSize}) as ${r.format}: ${(r.bytes / 1e6).toFixed(2)} MB`);
  await io.out.write(r.path + '\n');
}

/** The whole command: plan, run, report. */
export async function exportModel(values: ExportValues, checkpointArg: string, io: Io): Promise<Exported> {
  const plan = planExport(values, checkpointArg, io);
  const r = runExport(plan, io);
  await reportExport(plan, r, io);
  return r;
}
