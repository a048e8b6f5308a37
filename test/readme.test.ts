import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { COMMON, CORPUS_GET, EVAL, EXPORT, IMPORT, INFO, INSPECT, PLOT, RUNS, SAMPLE, SCORE, SERVE, TRAIN, type Table } from '../src/options.js';

/** The option tables of docs/cli.md are the defaults table rendered; they must not drift apart. */
function render(t: Table): string {
  const rows = Object.values(t).map((s) => {
    const d = s.show ?? (s.default === '' || s.default === false ? '' : String(s.default));
    return `| \`${s.flags}\` | ${d ? '`' + d + '`' : ''} | ${s.help.replace(/\|/g, '\\|')} |`;
  });
  return ['| option | default | meaning |', '|---|---|---|', ...rows].join('\n');
}

function section(doc: string, name: string): string {
  const m = new RegExp(`<!-- options:${name} -->\\n([\\s\\S]*?)\\n<!-- /options:${name} -->`).exec(doc);
  if (!m) throw new Error(`docs/cli.md has no options:${name} section`);
  return m[1];
}

describe('docs/cli.md and docs/reliability.md', () => {
  const cli = readFileSync(new URL('../docs/cli.md', import.meta.url), 'utf8');
  const reliability = readFileSync(new URL('../docs/reliability.md', import.meta.url), 'utf8');
  it('documents the train and sample defaults exactly as options.ts defines them', () => {
    // the thread count depends on the machine; the docs show the 2-core laptop's
    const threads = (s: string) => s.replace(/(\| `--threads <n>` \| `)\d+(`)/, '$1N$2');
    expect(threads(section(cli, 'train'))).toBe(threads(render(TRAIN)));
    expect(section(cli, 'sample')).toBe(render(SAMPLE));
    expect(threads(section(cli, 'eval'))).toBe(threads(render(EVAL)));
  });
  it('documents the serve defaults exactly as options.ts defines them', () => {
    expect(section(cli, 'serve')).toBe(render(SERVE));
  });

  it("documents every other command's options, and every old spelling with its new one", () => {
    const threads = (s: string) => s.replace(/(\| `--threads <n>` \| `)\d+(`)/, '$1N$2');
    const tables: Record<string, Table> = { common: COMMON, score: SCORE, inspect: INSPECT, info: INFO, runs: RUNS, plot: PLOT, 'corpus-get': CORPUS_GET, export: EXPORT, import: IMPORT };
    for (const [name, t] of Object.entries(tables)) expect(threads(section(cli, name)), name).toBe(threads(render(t)));
    const all: Record<string, Table> = { train: TRAIN, sample: SAMPLE, eval: EVAL, serve: SERVE, ...tables };
    for (const [name, t] of Object.entries(all)) {
      for (const s of Object.values(t)) for (const a of s.aliases ?? []) expect(cli, `${name} ${a}`).toContain(`| ${name} | \`${a}\` | \`${/--[\w-]+/.exec(s.flags)![0]}\` |`);
    }
  });

  it('lists every named case of the reliability tests in its reliability table', () => {
    const m = /<!-- reliability -->\n([\s\S]*?)\n<!-- \/reliability -->/.exec(reliability);
    expect(m, 'docs/reliability.md has no reliability table').not.toBeNull();
    const dir = new URL('./', import.meta.url);
    const files = readdirSync(dir).filter((f) => /^(reliability-.*|eval-count)\.test\.ts$/.test(f));
    let named = 0;
    for (const f of files) {
      for (const c of readFileSync(new URL(f, dir), 'utf8').matchAll(/recordRow\('([^']+)', '([^']+)'/g)) {
        expect(m![1], `${f}: ${c[2]}`).toContain(`| ${c[1]} | ${c[2].replace(/\|/g, '\\|')} |`);
        named++;
      }
    }
    expect(named).toBeGreaterThan(10);
  });
});
