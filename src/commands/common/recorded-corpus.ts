/**
 * A checkpoint's own corpus, found the same way by every command (eval's validation split, sample --novel's
 * training list, train --resume without a corpus), from any folder: several files by their recorded names; one by
 * its source as given (relative to here, or a registry name), then the absolute path recorded at training time;
 * each candidate must match the recorded SHA-256. Or a copy the user names (--corpus FILE), recognised by its
 * SHA-256.
 */
import { createHash } from 'node:crypto';
import type { CorpusFile, CorpusInfo } from '../../checkpoint/schema.js';
import { CorpusError } from '../../corpus/errors.js';
import { CharnnError, safeText } from '../../errors.js';
import { readCorpusInput, type CorpusIo } from './corpus-input.js';
import { readTextBytes } from './text.js';

/** The training corpus as found: its files' bytes (one part per recorded file, each a document), a name for
 *  display, and the argument that reads it again (a path, a registry name, or the recorded file names). */
export interface FoundCorpus {
  parts: Uint8Array[];
  files: CorpusFile[];
  name: string;
  arg: string | string[];
}

/** What failed and what to do about it, in the caller's words. */
export interface Wording {
  /** "what failed": 'cannot evaluate' */
  what: string;
  /** the hint when the corpus is not found; `sha` is the recorded SHA-256, shortened */
  hint(sha: string): string;
}

const short = (sha: string) => sha.slice(0, 12) + '…';

/** The corpus where the checkpoint says it was. Each miss is said, so the error explains what was tried. */
export async function recordedCorpus(c: CorpusInfo, io: CorpusIo, say: Wording): Promise<FoundCorpus> {
  const tried: string[] = [];
  for (const cand of recordedCandidates(c)) {
    const label = Array.isArray(cand) ? `its ${cand.length} files` : cand;
    try {
      const r = await readCorpusInput(cand, io);
      if (r.sha256 === c.sha256) return { parts: r.parts, files: r.files, name: safeText(c.source), arg: cand };
      tried.push(`${label} ${Array.isArray(cand) ? 'have' : 'has'} changed (SHA-256 ${short(r.sha256)}, trained on ${short(c.sha256)})`);
    } catch (e) {
      const code = (e as { cause?: unknown }).cause instanceof CorpusError ? (e as { cause: CorpusError }).cause.code : undefined;
      if (code === 'unavailable') tried.push(`the registry corpus ${label} is not cached here and could not be downloaded: the network failed (offline?)`);
      else if (code === 'not-found') tried.push(`${label} is not found`);
      else tried.push(`${label}: ${(e as Error).message}`);
    }
  }
  if (c.source === '-' && !c.path) tried.unshift('it was read from standard input');
  throw CharnnError.usage(`the checkpoint's corpus is not available: ${tried.join('; ')}`, say.hint(short(c.sha256)), say.what);
}

/** Where a checkpoint's corpus may be, in the order tried. */
export function recordedCandidates(c: CorpusInfo): Array<string | string[]> {
  const many = c.files && c.files.length > 1 ? c.files.map((f) => f.name) : null;
  if (many) return [many];
  return [c.source, c.path].filter((x, i, all): x is string => x !== undefined && x !== '-' && all.indexOf(x) === i);
}

/** --corpus FILE: any copy of the training corpus, recognised by its SHA-256 (of several files: their bytes end to
 *  end, cut back into the recorded files by their sizes so each stays a document). */
export async function givenCorpus(c: CorpusInfo, file: string, io: CorpusIo, say: Wording): Promise<FoundCorpus> {
  const name = file === '-' ? 'standard input' : file;
  const bytes = await readTextBytes(file, io, `cannot read the corpus ${file === '-' ? 'from standard input' : file}`);
  const sha = createHash('sha256').update(bytes).digest('hex');
  if (sha !== c.sha256) {
    throw new CharnnError(
      `${name} is not the corpus this checkpoint was trained on (SHA-256 ${short(sha)}, ${bytes.length} bytes; the checkpoint's ${c.source}: ${short(c.sha256)}, ${c.bytes} bytes)`,
      'pass the same text, or give it as a text to score whole: charnn eval CHECKPOINT FILE',
      say.what,
    );
  }
  const recorded = c.files ?? [];
  if (recorded.length > 1 && recorded.reduce((s, f) => s + f.bytes, 0) === bytes.length) {
    let at = 0;
    const parts = recorded.map((f) => bytes.subarray(at, (at += f.bytes)));
    return { parts, files: recorded, name, arg: file };
  }
  return { parts: [bytes], files: [{ name, bytes: bytes.length, sha256: sha }], name, arg: file };
}
