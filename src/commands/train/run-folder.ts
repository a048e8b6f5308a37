/**
 * A training run's output folder: latest.json and best.json, written atomically, by one writer at a time.
 *
 * - A folder that already holds a run is not trained into, unless this run continues it (--resume of a
 *   checkpoint in that folder) or --overwrite says to replace it; the refusal names what is there and the ways
 *   out, and changes nothing. With --overwrite the old run stays until this run's first save replaces it.
 * - Default folders (./checkpoints/<name>) are created exclusively: two runs started in the same second get two.
 * - The folder is locked while the run writes (run-lock.ts); temporary files of dead writers are removed.
 * - It is created only once every input is valid, and removed again if the run ends before saving anything.
 */
import { existsSync, readdirSync, rmdirSync, unlinkSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { loadCheckpoint, removeDeadTemps, writeFileAtomic } from '../../checkpoint/io.js';
import { CheckpointError } from '../../checkpoint/errors.js';
import { CharnnError } from '../../errors.js';
import { displayPath } from '../common/corpus-input.js';
import { createUniqueDir, folderError, prepareOutDir } from './out-dir.js';
import { RunLock } from '../../checkpoint/run-lock.js';

export interface FolderChoice {
  /** the folder, or for a default name the folder it goes under (`parent`) and its base name */
  dir?: string;
  parent?: string;
  base?: string;
  /** --resume's checkpoint (a run continued in its own folder is not a replacement) */
  resume?: string;
  overwrite: boolean;
}

/** Numbered snapshots (--keep) */
const SNAPSHOT = /^step-\d{8,}\.json$/;

export class RunFolder {
  readonly latestPath: string;
  readonly bestPath: string;
  /** whether this run has written a checkpoint */
  saved = false;
  /** --overwrite of an existing run: its best.json goes at this run's first save, if that save is not a best */
  private replacing: boolean;

  private constructor(
    readonly dir: string,
    /** the first folder this run created, removed again if nothing gets saved */
    private readonly createdDir: string | undefined,
    private readonly lock: RunLock,
    replacing: boolean,
  ) {
    this.latestPath = join(dir, 'latest.json');
    this.bestPath = join(dir, 'best.json');
    this.replacing = replacing;
  }

  /** Create (or reuse) and lock the folder; throws a one-line CharnnError if it cannot be used. */
  static open(c: FolderChoice, warn: (msg: string) => void): RunFolder {
    let dir: string;
    let created: string | undefined;
    if (c.dir) {
      dir = resolve(c.dir);
      created = prepareOutDir(dir, displayPath(dir));
    } else {
      ({ dir, created } = createUniqueDir(resolve(c.parent!), c.base!, (p) => displayPath(p)));
    }
    const shown = displayPath(dir);
    let lock: RunLock;
    try {
      lock = RunLock.acquire(dir, shown, warn);
    } catch (e) {
      removeCreated(dir, created);
      throw e instanceof CharnnError ? e : folderError(dir, shown, e);
    }
    let holds: boolean;
    try {
      holds = checkFolder(dir, c); // again under the lock: a run may have finished there since the early check
    } catch (e) {
      lock.release();
      throw e;
    }
    removeDeadTemps(dir);
    return new RunFolder(dir, created, lock, holds && c.overwrite);
  }

  /** latest.json, and best.json too when asked (one encoding for both) */
  save(text: string, alsoBest: boolean): void {
    write(this.latestPath, text);
    if (alsoBest) write(this.bestPath, text);
    else if (this.replacing) {
      try { unlinkSync(this.bestPath); } catch { /* there was none */ }
    }
    this.replacing = false;
    this.saved = true;
  }

  /** A numbered snapshot, step-00000200.json, beside latest.json; then only the newest `keep` of them stay. */
  snapshot(text: string, step: number, keep: number): string {
    const path = join(this.dir, `step-${String(step).padStart(8, '0')}.json`);
    writeFileAtomic(path, text);
    const numbered = readdirSync(this.dir).filter((f) => SNAPSHOT.test(f)).sort(); // zero-padded: name order is step order
    for (const old of numbered.slice(0, Math.max(0, numbered.length - keep))) {
      try { unlinkSync(join(this.dir, old)); } catch { /* already gone */ }
    }
    return path;
  }

  /** Release the lock, and remove the folders this run created if it saved nothing. Idempotent. */
  close(): void {
    this.lock.release();
    if (!this.saved) removeCreated(this.dir, this.createdDir);
  }
}

/** An atomic write whose error names the file as the user would type it. */
function write(path: string, text: string): void {
  try {
    writeFileAtomic(path, text);
  } catch (e) {
    if (e instanceof CheckpointError) throw new CheckpointError(e.why, e.hint, `cannot save checkpoint ${displayPath(path)}`);
    throw e;
  }
}

/** Remove `dir` and its parents up to `created`, each only while empty. */
function removeCreated(dir: string, created: string | undefined): void {
  if (!created) return;
  for (let d = dir; d.length >= created.length; d = dirname(d)) {
    try {
      rmdirSync(d);
    } catch {
      return;
    }
  }
}

/**
 * Refuse a folder this run must not write to (see the file comment); returns whether it holds a run that
 * --overwrite will replace. Reads only: safe before the lock (as an early check) and under it.
 */
export function checkFolder(dir: string, c: FolderChoice): boolean {
  const latest = join(dir, 'latest.json');
  const best = join(dir, 'best.json');
  const present = [latest, best].filter((p) => existsSync(p));
  if (!present.length) return false;
  if (c.resume && dirname(resolve(c.resume)) === dir) return false; // continuing this folder's run
  if (c.overwrite) return true;
  const shown = displayPath(dir);
  throw new CharnnError(
    `it already holds a run (${describeRun(present[0])})`,
    `continue it with --resume ${displayPath(present[0])}, replace it with --overwrite, or choose another --out or --name`,
    `cannot train into ${shown}`,
  );
}

/** 'latest.json at step 365, best val 2.5600 nats at step 300' */
function describeRun(path: string): string {
  const name = path.endsWith('best.json') ? 'best.json' : 'latest.json';
  try {
    const p = loadCheckpoint(path).progress;
    const best = p.bestValLoss !== null ? `, best val ${p.bestValLoss.toFixed(4)} nats at step ${p.bestValStep}` : '';
    return `${name} at step ${p.step}${best}`;
  } catch {
    return `${name}, which cannot be read`;
  }
}
