import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EVAL, SAMPLE, TRAIN, type Table } from '../src/cli/options.js';

/** The README's option tables are the defaults table rendered; they must not drift apart. */
function render(t: Table): string {
  const rows = Object.values(t).map((s) => {
    const d = s.show ?? (s.default === '' || s.default === false ? '' : String(s.default));
    return `| \`${s.flags}\` | ${d ? '`' + d + '`' : ''} | ${s.help.replace(/\|/g, '\\|')} |`;
  });
  return ['| option | default | meaning |', '|---|---|---|', ...rows].join('\n');
}

function section(readme: string, name: string): string {
  const m = new RegExp(`<!-- options:${name} -->\\n([\\s\\S]*?)\\n<!-- /options:${name} -->`).exec(readme);
  if (!m) throw new Error(`README has no options:${name} section`);
  return m[1];
}

describe('README', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  it('documents the train and sample defaults exactly as options.ts defines them', () => {
    // the thread count depends on the machine; the README shows the 2-core laptop's
    const threads = (s: string) => s.replace(/(\| `--threads <n>` \| `)\d+(`)/, '$1N$2');
    expect(threads(section(readme, 'train'))).toBe(threads(render(TRAIN)));
    expect(section(readme, 'sample')).toBe(render(SAMPLE));
    expect(threads(section(readme, 'eval'))).toBe(threads(render(EVAL)));
  });

  it('lists every named case of the reliability tests in its reliability table', () => {
    const m = /<!-- reliability -->\n([\s\S]*?)\n<!-- \/reliability -->/.exec(readme);
    expect(m, 'README has no reliability table').not.toBeNull();
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
