/**
 * `charnn export <checkpoint> --format safetensors|onnx|charnn|charnn-f16 -o FILE` and
 * `charnn import <file.safetensors> -o CKPT`: a model out to the field's weight formats (or as a sampling-only charnn
 * checkpoint, float32 or float16) and back in as a sampling checkpoint. Files are written atomically
 * and an existing one is only replaced with --force. stdout gets the path written; nothing else.
 */
import { existsSync, readFileSync } from 'node:fs';
import { extname } from 'node:path';
import type { Command } from 'commander';
import { checkpointToText } from '../checkpoint/codec.js';
import { loadCheckpoint, writeFileAtomic } from '../checkpoint/io.js';
import { samplingOnly } from '../checkpoint/sampling-only.js';
import { readCorpus } from '../data/corpus.js';
import { encodeUtf8 } from '../data/vocab.js';
import { checkpointFromSafetensors, exportCheckpoint, type ExportFormat } from '../export/convert.js';
import { attempt, attemptSync, CharnnError } from '../errors.js';
import { displayPath } from './inputs.js';
import { addOptions, COMMON, EXPORT, IMPORT, readOptions } from './options.js';
import { Ui } from './ui.js';

const withExt = (path: string, ext: string) => (extname(path) ? path.slice(0, -extname(path).length) : path) + ext;

function refuseExisting(path: string, force: boolean, what: string): void {
  if (existsSync(path) && !force) throw CharnnError.usage(`${displayPath(path)} exists`, 'add --force to replace it, or choose another -o', what);
}

export function registerExport(program: Command): void {
  const cmd = program
    .command('export')
    .description('write a model as safetensors (weights by name) or ONNX (one inference step); prints the file path')
    .argument('<checkpoint>', 'a checkpoint .json');
  addOptions(cmd, EXPORT);
  addOptions(cmd, COMMON);
  cmd.action((path: string, _o: unknown, self: Command) => {
    const common = readOptions(self, COMMON).values;
    const ui = new Ui({ color: common.color, quiet: common.quiet, verbose: common.verbose });
    const { values: o } = readOptions(self, EXPORT);
    // plan: the format from --format, else from -o's extension, else safetensors
    const fromExt = o.out && extname(o.out) === '.onnx' ? 'onnx' : o.out && extname(o.out) === '.json' ? 'charnn' : 'safetensors';
    const format = o.format || fromExt;
    const ext: Record<string, string> = { charnn: '.sampling.json', 'charnn-f16': '.f16.json' };
    const out = o.out || withExt(path, ext[format] ?? `.${format}`);
    refuseExisting(out, o.force, 'cannot export');
    // run
    const ckpt = loadCheckpoint(path);
    const bytes = attemptSync(`cannot export ${displayPath(path)} as ${format}`, () =>
      format === 'charnn' || format === 'charnn-f16'
        ? Buffer.from(checkpointToText(samplingOnly(ckpt, format === 'charnn-f16' ? 'float16' : 'float32')), 'utf8')
        : exportCheckpoint(ckpt, format as ExportFormat),
    );
    attemptSync(`cannot write ${displayPath(out)}`, () => writeFileAtomic(out, bytes));
    // report
    const m = ckpt.model;
    ui.info(`exported ${m.cell} ${m.layers}x${m.hidden} (vocabulary ${m.vocabSize}) as ${format}: ${(bytes.length / 1e6).toFixed(2)} MB`);
    process.stdout.write(displayPath(out) + '\n');
  });
}

export function registerImport(program: Command): void {
  const cmd = program
    .command('import')
    .description('make a sampling checkpoint from a .safetensors file (weights by state_dict name); prints its path')
    .argument('<file>', 'a .safetensors file (from charnn export, or a PyTorch state_dict of the same model)');
  addOptions(cmd, IMPORT);
  addOptions(cmd, COMMON);
  cmd.action(async (path: string, _o: unknown, self: Command) => {
    const common = readOptions(self, COMMON).values;
    const ui = new Ui({ color: common.color, quiet: common.quiet, verbose: common.verbose });
    const { values: o } = readOptions(self, IMPORT);
    const out = o.out || withExt(path, '.json');
    refuseExisting(out, o.force, 'cannot import');
    const bytes = attemptSync(`cannot read ${displayPath(path)}`, () => {
      try {
        return readFileSync(path);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        throw new CharnnError(code === 'ENOENT' ? 'no such file' : (e as Error).message, 'check the path');
      }
    });
    let vocab: string[] | undefined;
    if (o.vocabFrom) {
      const corpus = await attempt('cannot read the --vocab-from corpus', () => readCorpus(o.vocabFrom, process.stdin));
      vocab = [...attemptSync('cannot read the --vocab-from corpus', () => encodeUtf8(corpus).vocab.chars)];
    }
    const c = attemptSync(`cannot import ${displayPath(path)}`, () => checkpointFromSafetensors(bytes, vocab));
    const text = attemptSync(`cannot import ${displayPath(path)}`, () => checkpointToText(c));
    attemptSync(`cannot write ${displayPath(out)}`, () => writeFileAtomic(out, text));
    ui.info(`imported ${c.model.cell} ${c.model.layers}x${c.model.hidden} (vocabulary ${c.model.vocabSize}) as a sampling checkpoint`);
    process.stdout.write(displayPath(out) + '\n');
  });
}
