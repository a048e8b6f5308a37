/**
 * Many-file corpora: `charnn train a.txt b.txt`, a folder, or a glob. The order is stated and stable: the
 * arguments in the order given; a folder's files (recursively, hidden ones skipped) and a glob's matches sorted by
 * path, code point by code point (as `LC_ALL=C ls`), so the same folder gives the same run on every machine.
 * Globs are for shells that pass them on unexpanded (quoted): `*` and `?` within a name, `[abc]`, and `**` for any
 * number of folders.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { isDir, isFile } from '../../fs-probe.js';
import { CharnnError } from '../../errors.js';

/** True when the argument names more than one file (a folder, or a glob that is not an existing path). */
export function isMultiFile(arg: string): boolean {
  if (arg === '-') return false;
  if (existsSync(arg)) return statSync(arg).isDirectory();
  return hasGlob(arg);
}

const hasGlob = (s: string) => /[*?[]/.test(s);

/** The files the arguments name, in training order. Throws a CharnnError for an argument that names none. */
export function expandCorpusArgs(args: readonly string[]): string[] {
  const out: string[] = [];
  for (const arg of args) {
    if (arg === '-') throw CharnnError.usage('- (standard input) cannot be combined with files', 'give files only, or - alone', 'cannot read the corpus');
    let files: string[];
    if (existsSync(arg) && statSync(arg).isDirectory()) {
      files = walk(arg);
      if (!files.length) throw new CharnnError(`corpus folder ${arg} has no files`, 'put text files in it, or name the files', 'cannot read the corpus');
    } else if (!existsSync(arg) && hasGlob(arg)) {
      files = glob(arg);
      if (!files.length) throw new CharnnError(`no file matches ${arg}`, 'check the pattern (quote it to let charnn expand it)', 'cannot read the corpus');
    } else files = [arg];
    out.push(...files);
  }
  const seen = new Set<string>();
  for (const f of out) {
    if (seen.has(f)) throw CharnnError.usage(`${f} is named twice`, 'name each file once', 'cannot read the corpus');
    seen.add(f);
  }
  return out;
}

const byPath = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Every regular file under dir (hidden names skipped), sorted by path. */
function walk(dir: string): string[] {
  const found: string[] = [];
  const visit = (d: string) => {
    for (const name of readdirSync(d).sort(byPath)) {
      if (name.startsWith('.')) continue;
      const p = join(d, name);
      const st = statSync(p);
      if (st.isDirectory()) visit(p);
      else if (st.isFile()) found.push(p);
    }
  };
  visit(dir);
  return found.sort(byPath);
}

/** Files matching a pattern of '/'-separated segments. */
function glob(pattern: string): string[] {
  const abs = pattern.startsWith('/');
  const segs = pattern.split('/').filter((s, i) => s !== '' || i === 0);
  let bases = [abs ? '/' : '.'];
  if (abs) segs.shift();
  // literal leading folders
  while (segs.length > 1 && !hasGlob(segs[0])) bases = [join(bases[0], segs.shift()!)];
  const results: string[] = [];
  const match = (dir: string, i: number) => {
    if (i === segs.length) return;
    const seg = segs[i];
    const last = i === segs.length - 1;
    let entries: string[];
    try {
      entries = readdirSync(dir);
    } catch {
      return;
    }
    if (seg === '**') {
      match(dir, i + 1); // zero folders
      for (const name of entries) {
        if (name.startsWith('.')) continue;
        const p = join(dir, name);
        if (isDir(p)) match(p, i); // one more
      }
      return;
    }
    const re = segmentRegExp(seg);
    for (const name of entries) {
      if (!re.test(name) || (name.startsWith('.') && !seg.startsWith('.'))) continue;
      const p = join(dir, name);
      if (last) {
        if (isFile(p)) results.push(p);
      } else if (isDir(p)) match(p, i + 1);
    }
  };
  match(bases[0], 0);
  const shown = (p: string) => (abs ? p : relative('.', p).split(sep).join('/') || p);
  return [...new Set(results.map(shown))].sort(byPath);
}

function segmentRegExp(seg: string): RegExp {
  let re = '';
  for (let i = 0; i < seg.length; i++) {
    const ch = seg[i];
    if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else if (ch === '[') {
      const close = seg.indexOf(']', i + 1);
      if (close < 0) re += '\\[';
      else {
        re += '[' + seg.slice(i + 1, close).replace(/^!/, '^').replace(/\\/g, '\\\\') + ']';
        i = close;
      }
    } else re += ch.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}
