/**
 * The import rules and the unused-code check, in `npm test`: dependency-cruiser checks src/ against the layers of
 * .dependency-cruiser.cjs (no cycles, nothing imports upward, the core does no I/O, ...), and knip (knip.json)
 * finds no unused file, export, type or dependency. Each runs as `npm run lint:deps` / `npm run lint:unused` do.
 */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const run = promisify(execFile);
const bin = (name: string) => join(ROOT, 'node_modules', '.bin', name);

interface Violation {
  type: string;
  from: string;
  to: string;
  cycle?: { name: string }[];
  rule: { name: string; severity: string };
}
interface CruiseResult {
  modules: { source: string; dependencies: { resolved: string; couldNotResolve: boolean }[] }[];
  summary: { violations: Violation[]; error: number; warn: number; info: number; ignore: number; ruleSetUsed: { forbidden: { name: string; comment: string }[] } };
}

/** The TypeScript files of src/ (the AssemblyScript sources under src/math/wasm/assembly are not imported). */
function sourceFiles(dir = join(ROOT, 'src')): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return relative(ROOT, p).split(sep).join('/') === 'src/math/wasm/assembly' ? [] : sourceFiles(p);
    return e.name.endsWith('.ts') ? [relative(ROOT, p).split(sep).join('/')] : [];
  });
}

describe('architecture', () => {
  it('src/ keeps the import rules of .dependency-cruiser.cjs', async () => {
    // exit status 0 whatever it finds with --output-type json: the verdict is in the summary
    const { stdout } = await run(process.execPath, [bin('depcruise'), 'src', '--config', '.dependency-cruiser.cjs', '--output-type', 'json'], {
      cwd: ROOT,
      maxBuffer: 64 << 20,
    });
    const result = JSON.parse(stdout) as CruiseResult;
    // every source file was cruised, and every import resolved (`./x.js` to ./x.ts): the rules saw the whole graph
    const cruised = new Set(result.modules.map((m) => m.source));
    expect(sourceFiles().filter((f) => !cruised.has(f))).toEqual([]);
    expect(result.modules.flatMap((m) => m.dependencies.filter((d) => d.couldNotResolve).map((d) => `${m.source} -> ${d.resolved}`))).toEqual([]);

    const why = new Map(result.summary.ruleSetUsed.forbidden.map((r) => [r.name, r.comment]));
    const found = result.summary.violations.filter((v) => v.rule.severity !== 'ignore');
    const report = found.map((v) => `${v.rule.name}: ${v.from} -> ${v.cycle ? v.cycle.map((c) => c.name).join(' -> ') : v.to}\n    (${why.get(v.rule.name) ?? ''})`);
    expect(report, `import rules broken:\n${report.join('\n')}\n`).toEqual([]);
  });

  it('knip finds no unused file, export, type or dependency (knip.json)', async () => {
    // its findings and its configuration hints (a stale entry or ignore in knip.json) all count
    const { stdout, stderr } = await run(process.execPath, [bin('knip'), '--no-progress', '--no-exit-code'], { cwd: ROOT, maxBuffer: 64 << 20 });
    const out = stdout + stderr;
    expect(out.trim(), `knip reports:\n${out}`).toBe('');
  });

  it('the application layer and the core never touch `process` (the io port brings the folder, environment and streams)', () => {
    // a global, so no import rule sees it; the backends' loaders (math/native, math/wasm) start workers and are exempt
    const layers = /^src\/(commands|model|data|train|sample|math)\//;
    const exempt = /^src\/math\/(native\/|wasm\/(index|pool)\.ts)/;
    const touching = sourceFiles().filter((f) => layers.test(f) && !exempt.test(f) && /\bprocess\./.test(readFileSync(join(ROOT, f), 'utf8')));
    expect(touching).toEqual([]);
  });
});
