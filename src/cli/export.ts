/** `charnn export <checkpoint>` and `charnn import <file.safetensors>`: the export and import commands
 *  (src/commands/export.ts, import.ts) on the command line. stdout gets the path written; nothing else. */
import type { Command } from 'commander';
import { exportModel } from '../commands/export.js';
import { importModel } from '../commands/import.js';
import { EXPORT, IMPORT } from '../options.js';
import { defineCommand } from './command.js';

export function registerExport(program: Command): void {
  defineCommand(program, {
    name: 'export',
    description: 'write a model as safetensors (weights by name) or ONNX (one inference step); prints the file path',
    args: [['<checkpoint>', 'a checkpoint .json or a run folder (its best.json, else latest.json)']],
    table: EXPORT,
    async run({ args, values }, io) {
      await exportModel(values, args[0] as string, io);
    },
  });
}

export function registerImport(program: Command): void {
  defineCommand(program, {
    name: 'import',
    description: 'make a sampling checkpoint from a .safetensors file (weights by state_dict name); prints its path',
    args: [['<file>', 'a .safetensors file (from charnn export, or a PyTorch state_dict of the same model)']],
    table: IMPORT,
    async run({ args, values }, io) {
      await importModel(values, args[0] as string, io);
    },
  });
}
