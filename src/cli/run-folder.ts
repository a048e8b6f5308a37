/**
 * A training run's output folder: latest.json and best.json, written atomically. The folder is created only once
 * every input is valid, and removed again if the run ends before saving anything (bad input leaves no files).
 */
import { rmdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../checkpoint/io.js';
import { displayPath } from './inputs.js';
import { prepareOutDir } from './out-dir.js';

export class RunFolder {
  readonly latestPath: string;
  readonly bestPath: string;
  /** whether this run has written a checkpoint */
  saved = false;
  /** the first folder this run created, removed again if nothing gets saved */
  private readonly createdDir: string | undefined;

  constructor(readonly dir: string) {
    this.createdDir = prepareOutDir(dir, displayPath(dir));
    this.latestPath = join(dir, 'latest.json');
    this.bestPath = join(dir, 'best.json');
  }

  /** latest.json, and best.json too when asked (one encoding for both) */
  save(text: string, alsoBest: boolean): void {
    writeFileAtomic(this.latestPath, text);
    if (alsoBest) writeFileAtomic(this.bestPath, text);
    this.saved = true;
  }

  /** Remove the folders this run created, if it saved nothing (each removal only succeeds while empty). */
  removeUnused(): void {
    if (this.saved || !this.createdDir) return;
    for (let d = this.dir; d.length >= this.createdDir.length; d = dirname(d)) {
      try {
        rmdirSync(d);
      } catch {
        return;
      }
    }
  }
}
