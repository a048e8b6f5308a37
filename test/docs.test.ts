/**
 * The README and docs/*.md name no file that does not exist and link nowhere that does not resolve: every path of
 * the repository's own folders they mention (src/, test/, bench/, scripts/, torch/, native/, web/) exists, a
 * path with a `*` matches at least one file, and every relative Markdown link or image points at a file that
 * exists and, with a #fragment, at a heading of that file (GitHub's anchors).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers/cli.js';

const DOCS = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => join('docs', f))];
const text = (file: string) => readFileSync(join(ROOT, file), 'utf8');

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    const m = !fenced && /^#{1,6} (.*)$/.exec(line);
    if (!m) continue;
    const base = m[1].trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

/** Files under dir (relative to ROOT) whose path matches a pattern with `*` (any characters but `/`). */
function globMatches(pattern: string): boolean {
  const dir = pattern.slice(0, pattern.lastIndexOf('/', pattern.indexOf('*')));
  const re = new RegExp('^' + pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*') + '$');
  const walk = (d: string): string[] =>
    existsSync(join(ROOT, d)) ? readdirSync(join(ROOT, d), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(d, e.name)) : [join(d, e.name)])) : [];
  return walk(dir).some((f) => re.test(f));
}

describe('README.md and docs/*.md', () => {
  it('are all found', () => {
    expect(DOCS).toContain(join('docs', 'cli.md'));
    expect(DOCS.length).toBeGreaterThan(10);
  });

  it("name only files of the repository's folders that exist", () => {
    const missing: string[] = [];
    let checked = 0;
    for (const file of DOCS) {
      for (const m of text(file).matchAll(/(?<![\w./-])((?:src|test|bench|scripts|torch|native|web)\/[\w.*/-]*[\w*/])/g)) {
        const path = m[1].replace(/\/$/, '');
        checked++;
        if (path.includes('*') ? !globMatches(path) : !existsSync(join(ROOT, path))) missing.push(`${file}: ${m[1]}`);
      }
    }
    expect(missing).toEqual([]);
    expect(checked).toBeGreaterThan(20);
  });

  it('link only to files and headings that exist', () => {
    const broken: string[] = [];
    let checked = 0;
    for (const file of DOCS) {
      const body = text(file).replace(/```[\s\S]*?```/g, '');
      for (const m of body.matchAll(/!?\[[^\]]*\]\(([^)\s]+)\)/g)) {
        const target = m[1];
        if (/^[a-z]+:/i.test(target)) continue; // http:, https:, mailto:
        checked++;
        const [path, fragment] = target.split('#');
        const resolved = path ? join(dirname(file), path) : file;
        if (!existsSync(join(ROOT, resolved))) {
          broken.push(`${file}: ${target} (no ${relative('.', resolved)})`);
          continue;
        }
        if (fragment !== undefined && !anchors(text(resolved)).has(fragment)) broken.push(`${file}: ${target} (no heading #${fragment} in ${resolved})`);
      }
    }
    expect(broken).toEqual([]);
    expect(checked).toBeGreaterThan(20);
  });

  it('name no src/defaults.ts (the defaults table is src/options.ts)', () => {
    for (const file of DOCS) expect(text(file), file).not.toContain('src/defaults.ts');
  });
});
