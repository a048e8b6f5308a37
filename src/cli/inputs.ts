/**
 * What the commands read: the corpus (path, '-' for stdin, or a registry name) with its SHA-256, and checkpoints
 * found implicitly (the newest under ./checkpoints/, else the model bundled with the package).
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../corpus/registry.js';
import { displayPath, readCorpusInput, type CorpusBytes } from '../run/corpus-input.js';
import { corpusProgress } from './corpus.js';
import type { Ui } from './ui.js';

export { corpusInfo, displayPath, type CorpusBytes } from '../run/corpus-input.js';

/** Read the corpus named by the command-line argument, with download progress on stderr. */
export async function readCorpusArg(arg: string | undefined, ui: Ui): Promise<CorpusBytes> {
  const progress = corpusProgress();
  try {
    return await readCorpusInput(arg, {
      onStatus: progress.onStatus,
      onProgress: progress.onProgress,
      onStdin: () => {
        if (process.stdin.isTTY) ui.info('reading the corpus from the terminal; end it with Ctrl-D');
      },
    });
  } finally {
    progress.stop();
  }
}

/** The checkpoint `sample` uses when none is given: best.json (else latest.json) of the most recently written
 *  run folder under ./checkpoints/ (also files directly in it), else the package's bundled model. */
export function findDefaultCheckpoint(cwd = process.cwd()): { path: string; why: string } | null {
  const root = join(cwd, 'checkpoints');
  let newest: { path: string; mtime: number } | null = null;
  const consider = (p: string) => {
    try {
      const st = statSync(p);
      if (st.isFile() && (!newest || st.mtimeMs > newest.mtime)) newest = { path: p, mtime: st.mtimeMs };
    } catch {
      /* vanished */
    }
  };
  if (existsSync(root)) {
    for (const entry of safeList(root)) {
      const p = join(root, entry);
      if (entry.endsWith('.json')) consider(p);
      else if (isDir(p)) {
        // a run folder: its newest file decides its age; best.json is preferred for sampling
        const files = ['latest.json', 'best.json'].map((f) => join(p, f)).filter((f) => existsSync(f));
        if (!files.length) continue;
        const age = Math.max(...files.map((f) => statSync(f).mtimeMs));
        const pick = files.find((f) => f.endsWith('best.json')) ?? files[0];
        if (!newest || age > newest.mtime) newest = { path: pick, mtime: age };
      }
    }
  }
  if (newest) return { path: displayPath((newest as { path: string }).path, cwd), why: 'the newest under ./checkpoints/' };
  const bundled = join(packageRoot(), 'checkpoints', 'pretrained');
  if (existsSync(bundled)) {
    const files = safeList(bundled).filter((f) => f.endsWith('.json')).sort();
    if (files.length) return { path: join(bundled, files[0]), why: 'the model bundled with charnn' };
  }
  return null;
}

const safeList = (dir: string): string[] => {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
};
const isDir = (p: string) => {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
};
