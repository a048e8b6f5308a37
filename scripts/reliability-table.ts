/**
 * The reliability table of issue 6 (docs/reliability.md), generated from real runs: runs
 * test/reliability-*.test.ts and test/eval-count.test.ts with CHARNN_RELIABILITY_TABLE set (each case appends a
 * row: its exit code and the `charnn:` lines it printed) and prints a Markdown table on stdout; with --write it
 * replaces the table between docs/reliability.md's `<!-- reliability -->` markers instead.
 *
 *   npm run build && npm run reliability:table [-- --write]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

interface Row {
  group: string;
  name: string;
  code: number | string | null;
  message: string;
  note: string;
}

const root = fileURLToPath(new URL('..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'charnn-table-'));
const file = join(dir, 'rows.jsonl');
try {
  const r = spawnSync('npx', ['vitest', 'run', 'test/reliability-input.test.ts', 'test/reliability-faults.test.ts', 'test/reliability-runs.test.ts', 'test/eval-count.test.ts'], {
    cwd: root,
    env: { ...process.env, CHARNN_RELIABILITY_TABLE: file },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  let rows: Row[] = [];
  try {
    rows = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Row);
  } catch {
    /* no rows */
  }
  const order = ['corpus', 'options', 'checkpoints', 'sampling', 'run folders', 'eval', 'interruption', 'faults', 'pipelines'];
  rows.sort((a, b) => order.indexOf(a.group) - order.indexOf(b.group));
  const cell = (s: string) => s.replace(/\|/g, '\\|');
  const out = ['| area | case | exit | message printed (stderr) |', '|---|---|---|---|'];
  for (const row of rows) {
    const msg = row.message + (row.note ? ` — *${row.note}*` : '');
    out.push(`| ${row.group} | ${cell(row.name)} | ${row.code ?? ''} | ${cell(msg)} |`);
  }
  if (process.argv.includes('--write')) {
    const doc = join(root, 'docs', 'reliability.md');
    const text = readFileSync(doc, 'utf8');
    const marked = /(<!-- reliability -->\n)[\s\S]*?(\n<!-- \/reliability -->)/;
    if (!marked.test(text)) throw new Error(`${doc} has no <!-- reliability --> ... <!-- /reliability --> markers`);
    writeFileSync(doc, text.replace(marked, (_, open: string, close: string) => open + out.join('\n') + close));
    process.stderr.write(`wrote the table into ${doc}\n`);
  } else process.stdout.write(out.join('\n') + '\n');
  process.stderr.write(`${rows.length} rows; vitest exit ${r.status}\n`);
  process.exitCode = r.status ?? 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
