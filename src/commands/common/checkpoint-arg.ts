/**
 * The checkpoint a command is given, the same way for every command: a checkpoint .json, a run folder (its
 * best.json, else its latest.json), or (where a command allows it) nothing: the newest run under ./checkpoints/,
 * else the model bundled with charnn. Which one was taken, and why, is said on the io port when it was not the
 * file named.
 */
import { resolve } from 'node:path';
import { checkpointInFolder, findDefaultCheckpoint } from '../../checkpoint/find.js';
import { loadCheckpoint } from '../../checkpoint/io.js';
import type { Checkpoint } from '../../checkpoint/schema.js';
import { CharnnError } from '../../errors.js';
import { displayPath } from '../../fs-probe.js';
import type { Io } from '../io.js';

export interface ChosenCheckpoint {
  /** absolute path of the file read */
  file: string;
  /** the path as the user would type it (relative to the current folder when inside it) */
  path: string;
  checkpoint: Checkpoint;
}

/** Find and load the checkpoint `arg` names (a file or a run folder), or the default one when `arg` is undefined;
 *  `what` is the command's "what failed" when there is none to find ('cannot sample'). */
export function chooseCheckpoint(arg: string | undefined, io: Pick<Io, 'info' | 'cwd'>, what = 'cannot load a model'): ChosenCheckpoint {
  const file = locateCheckpoint(arg, io, what);
  const path = arg !== undefined && resolve(io.cwd, arg) === file ? arg : displayPath(file, io.cwd);
  return { file, path, checkpoint: loadCheckpoint(file, path) };
}

/** The file `chooseCheckpoint` reads, without reading it. */
export function locateCheckpoint(arg: string | undefined, io: Pick<Io, 'info' | 'cwd'>, what = 'cannot load a model'): string {
  if (arg === undefined) {
    const found = findDefaultCheckpoint(io.cwd);
    if (!found) throw new CharnnError('no checkpoint given and none found under ./checkpoints/', 'train one first: charnn train FILE', what);
    io.info(`${verb(what)} ${displayPath(found.path, io.cwd)} (${found.why})`);
    return found.path;
  }
  const abs = resolve(io.cwd, arg);
  const inRun = checkpointInFolder(abs, arg);
  if (!inRun) return abs;
  io.info(`${verb(what)} ${displayPath(inRun.path, io.cwd)} (${inRun.why})`);
  return inRun.path;
}

/** 'cannot sample' -> 'sampling from', for the line that says which checkpoint was taken. */
function verb(what: string): string {
  const m = /^cannot (\w+)/.exec(what);
  const v: Record<string, string> = { sample: 'sampling from', serve: 'serving', evaluate: 'evaluating', score: 'scoring with', inspect: 'inspecting', export: 'exporting' };
  return (m && v[m[1]]) ?? 'using';
}
