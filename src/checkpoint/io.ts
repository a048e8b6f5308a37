/**
 * Checkpoint files: atomic save and load.
 * Save writes a temporary file in the same folder, fsyncs it, renames it over the target and fsyncs the folder,
 * so a crash or SIGKILL at any moment leaves either the old or the new file, never a partial one; on any error
 * (disk full, permission) the temporary file is removed and the previous checkpoint is untouched.
 */
import { closeSync, fsyncSync, openSync, readdirSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { CHECKPOINT_JSON_LIMITS, JsonScan, readBoundedFile } from './bounded.js';
import { checkpointToText, decodeCheckpoint, type CheckpointInput } from './codec.js';
import { CheckpointError } from './errors.js';
import { makeDirs } from './mkdirs.js';
import type { Checkpoint } from './schema.js';

const REASONS: Record<string, [why: string, hint: string]> = {
  ENOSPC: ['the disk is full', 'free some space; the previous checkpoint is intact'],
  EDQUOT: ['the disk quota is exceeded', 'free some space; the previous checkpoint is intact'],
  EACCES: ['permission denied', 'choose a writable --out folder; the previous checkpoint is intact'],
  EPERM: ['operation not permitted', 'choose a writable --out folder; the previous checkpoint is intact'],
  EROFS: ['the file system is read-only', 'choose a writable --out folder; the previous checkpoint is intact'],
  ENOTDIR: ['a part of the path is a file, not a folder', 'choose another --out folder'],
  EISDIR: ['the path is a folder', 'give a file name ending in .json'],
  ENOENT: ['no such file or directory', 'was the folder removed while saving, or does its file system refuse new files?'],
  EEXIST: ['a file is in the way: the folder is a file now', 'choose another --out folder'],
};

function saveError(path: string, e: unknown): CheckpointError {
  const code = (e as NodeJS.ErrnoException)?.code ?? '';
  const [why, hint] = REASONS[code] ?? [plainReason(e), 'the previous checkpoint is intact'];
  return new CheckpointError(code && !why.includes(code) ? `${why} (${code})` : why, hint, `cannot save checkpoint ${path}`);
}

/** An fs error's reason without its syscall and paths: "ENOENT: no such file or directory, rename 'a' -> 'b'"
 *  -> "no such file or directory". */
function plainReason(e: unknown): string {
  const msg = (e as Error)?.message ?? String(e);
  const m = /^[A-Z0-9_]+: ([^,]+),/.exec(msg);
  return m ? m[1] : msg;
}

/** Write `text` to `path` atomically (see the file comment). */
export function writeFileAtomic(path: string, text: string | Uint8Array): void {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}-${Math.random().toString(36).slice(2, 10)}.tmp`);
  let fd: number | undefined;
  try {
    makeDirs(dir); // a folder removed while training is made again (never hangs, unlike a recursive mkdirSync on /proc)
    removeStaleTemps(dir, basename(path));
    fd = openSync(tmp, 'wx', 0o644);
    const buf = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (e) {
    if (fd !== undefined) try { closeSync(fd); } catch { /* already failing */ }
    try { unlinkSync(tmp); } catch { /* never created */ }
    throw saveError(path, e);
  }
  fsyncDir(dir);
}

/** Make the rename durable. Some platforms cannot fsync a folder; the rename is still atomic there. */
function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    /* best effort */
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Temporary files left by a killed writer (its pid is gone) are removed; a live writer's are left alone. */
function removeStaleTemps(dir: string, base: string): void {
  const prefix = `.${base}.`;
  for (const f of readdirSync(dir)) {
    if (!f.startsWith(prefix) || !f.endsWith('.tmp')) continue;
    const pid = Number(f.slice(prefix.length).split('-')[0]);
    if (!Number.isInteger(pid) || pid === process.pid || pidAlive(pid)) continue;
    try { unlinkSync(join(dir, f)); } catch { /* raced with someone else */ }
  }
}

/** Every temporary file of a dead process in `dir` (`.<name>.<pid>-<random>.tmp`, `.<name>.<pid>.tmp`): a run
 *  calls this when it takes its folder, so a writer killed mid-save (a 0-byte temporary) leaves nothing for long. */
export function removeDeadTemps(dir: string): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const f of names) {
    const m = /^\..+\.(\d+)(?:-[a-z0-9]+)?\.tmp$/.exec(f);
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid === process.pid || pidAlive(pid)) continue;
    try { unlinkSync(join(dir, f)); } catch { /* raced with someone else */ }
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Encode and save a checkpoint atomically. Returns the bytes written (a checkpoint's text can be tens of MB: to
 *  write one encoding to two files, use checkpointToText and writeFileAtomic). */
export function saveCheckpoint(path: string, c: CheckpointInput): { bytes: number } {
  const text = checkpointToText(c);
  writeFileAtomic(path, text);
  return { bytes: Buffer.byteLength(text, 'utf8') };
}

/** The longest string V8 makes (2^29 - 24 UTF-16 units): a checkpoint is one JSON text, so it cannot be longer. */
const MAX_STRING = 2 ** 29 - 24;

/** Read, validate and decode a checkpoint file. Errors are CheckpointErrors saying which file and why. */
export function loadCheckpoint(path: string, shown = path): Checkpoint {
  const what = `cannot load checkpoint ${shown}`;
  let text: string;
  try {
    // a regular file within the size ceiling (bounded.ts); the bytes go as soon as they are text
    const scan = new JsonScan(CHECKPOINT_JSON_LIMITS, 'the file');
    const bytes = readBoundedFile(path, undefined, (chunk) => scan.feed(chunk)); // a hostile file stops at the chunk that breaks a limit
    if (bytes.length > MAX_STRING) throw new CheckpointError(`the file is ${bytes.length} bytes, more than the ${MAX_STRING} a JSON checkpoint can have`, 'export the model as safetensors and import it as a sampling checkpoint, or use a smaller model');
    text = bytes.toString('utf8');
  } catch (e) {
    if (e instanceof CheckpointError) throw e.withWhat(what);
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new CheckpointError('no such file', 'check the path, or run `charnn train` first', what);
    if (code === 'EISDIR') throw new CheckpointError('it is a folder', 'pass a .json file inside it, e.g. latest.json', what);
    if (code === 'EACCES') throw new CheckpointError('permission denied', 'check the file permissions', what);
    throw new CheckpointError(plainReason(e), undefined, what);
  }
  try {
    return decodeCheckpoint(text, true);
  } catch (e) {
    if (e instanceof CheckpointError) throw e.withWhat(what);
    throw e;
  }
}
