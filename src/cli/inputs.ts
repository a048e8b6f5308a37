/**
 * What the commands read: the corpus (path, '-' for stdin, or a registry name) with its SHA-256, and checkpoints
 * found implicitly (checkpoint/find.ts: the newest under ./checkpoints/, else the model bundled with the package).
 */
import { findDefaultCheckpoint as findCheckpoint } from '../checkpoint/find.js';
import { displayPath, type CorpusIo } from '../commands/common/corpus-input.js';
import { corpusProgress } from './corpus-progress.js';
import { readStream } from '../data/corpus.js';
import type { Ui } from './ui.js';

export { corpusInfo, displayPath, type CorpusBytes } from '../commands/common/corpus-input.js';

/** `fn` given what reading a corpus needs of the terminal (download progress on stderr, released after). */
export async function withCorpusIo<T>(ui: Ui, fn: (io: CorpusIo) => Promise<T>): Promise<T> {
  const progress = corpusProgress(process.stderr, ui.quiet);
  try {
    return await fn({
      corpusStatus: progress.onStatus,
      corpusProgress: progress.onProgress,
      stdin: () => readStream(process.stdin),
      stdinIsTTY: process.stdin.isTTY,
      info: (m) => ui.info(m),
      cwd: process.cwd(),
      env: process.env,
      task: (label) => ui.task(label),
    });
  } finally {
    progress.stop();
  }
}

/** The checkpoint `sample` uses when none is given (checkpoint/find.ts), as the user would type its path. */
export function findDefaultCheckpoint(cwd = process.cwd()): { path: string; why: string } | null {
  const found = findCheckpoint(cwd);
  return found && { path: displayPath(found.path, cwd), why: found.why };
}
