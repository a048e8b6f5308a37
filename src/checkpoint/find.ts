/**
 * Finding a checkpoint when the user names a run folder or nothing at all (shared by `charnn sample` and the
 * library's loadModel): a run folder means its best.json, else its latest.json; nothing means the most recently
 * written run under ./checkpoints/, else the model bundled with the package.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../corpus/registry.js';
import { isDir, isFile, safeList } from '../fs-probe.js';
import { CheckpointError } from './errors.js';

/** The checkpoint a run folder stands for, with why; null when `path` is not a folder. */
export function checkpointInFolder(path: string, shown = path): { path: string; why: string } | null {
  if (!isDir(path)) return null;
  const best = join(path, 'best.json');
  if (isFile(best)) return { path: best, why: "the run's best.json: its lowest validation loss" };
  const latest = join(path, 'latest.json');
  if (isFile(latest)) return { path: latest, why: "the run's latest.json: it has no best.json" };
  throw new CheckpointError('it is a folder without best.json or latest.json', 'pass a checkpoint .json, or a run folder written by charnn train', `cannot load checkpoint ${shown}`);
}

/** The checkpoint used when none is given: best.json (else latest.json) of the most recently written run folder
 *  under `cwd`/checkpoints/ (also files directly in it), else the package's bundled model. Absolute paths. */
export function findDefaultCheckpoint(cwd: string): { path: string; why: string } | null {
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
  if (newest) return { path: (newest as { path: string }).path, why: 'the newest under ./checkpoints/' };
  const bundled = join(packageRoot(), 'checkpoints', 'pretrained');
  if (existsSync(bundled)) {
    const files = safeList(bundled).filter((f) => f.endsWith('.json')).sort();
    if (files.length) return { path: join(bundled, files[0]), why: 'the model bundled with charnn' };
  }
  return null;
}
