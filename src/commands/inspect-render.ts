/**
 * How `charnn inspect` shows a text coloured by one hidden unit: a colour per activation (blue for negative,
 * red for positive, white at 0; tanh-range units, so |a| <= 1), as ANSI 24-bit backgrounds on a terminal or as a
 * self-contained HTML page (inline CSS, no script, no external resources) whose characters carry their
 * activation and the model's top guesses in a tooltip.
 */

/** [r, g, b] for an activation in [-1, 1]. */
function colourOf(a: number): [number, number, number] {
  const t = Math.min(1, Math.abs(Number.isFinite(a) ? a : 0));
  return a >= 0 ? [255, Math.round(255 - 190 * t), Math.round(255 - 190 * t)] : [Math.round(255 - 190 * t), Math.round(255 - 120 * t), 255];
}

/** The text with each character on its activation's background (black letters); line breaks reset the colour. */
export function renderAnsi(chars: readonly string[], act: ArrayLike<number>): string {
  let out = '';
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i];
    if (c === '\n') {
      out += '\x1b[0m\n';
      continue;
    }
    const [r, g, b] = colourOf(act[i]);
    out += `\x1b[48;2;${r};${g};${b}m\x1b[38;2;0;0;0m${c === '\t' ? '    ' : c}`;
  }
  return chars[chars.length - 1] === '\n' ? out : out + '\x1b[0m\n';
}

export interface HtmlPage {
  title: string;
  /** a line under the title: model, layer and unit */
  subtitle: string;
  chars: readonly string[];
  act: ArrayLike<number>;
  /** per character: the model's top guesses for it, shown in its tooltip */
  guesses?: Array<Array<[string, number]>>;
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const shown = (c: string) => (c === '\n' ? '\\n' : c === '\t' ? '\\t' : c === ' ' ? '␣' : c);

export function renderHtml(p: HtmlPage): string {
  const spans: string[] = [];
  for (let i = 0; i < p.chars.length; i++) {
    const c = p.chars[i];
    const a = p.act[i];
    const [r, g, b] = colourOf(a);
    let tip = `${shown(c)}  ${a.toFixed(3)}`;
    if (p.guesses) tip += '\n' + p.guesses[i].map(([ch, pr]) => `${shown(ch)} ${(pr * 100).toFixed(1)}%`).join('\n');
    const body = c === '\n' ? '↵\n' : esc(c);
    spans.push(`<span style="background:rgb(${r},${g},${b})" data-a="${a.toFixed(4)}" title="${esc(tip)}">${body}</span>`);
  }
  const legend = [-1, -0.5, 0, 0.5, 1].map((a) => {
    const [r, g, b] = colourOf(a);
    return `<span style="background:rgb(${r},${g},${b})">${a > 0 ? '+' : ''}${a}</span>`;
  });
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${esc(p.title)}</title>
<style>
body { font: 15px/1.5 system-ui, sans-serif; margin: 2em; color: #111; background: #fff; }
h1 { font-size: 1.3em; margin: 0 0 .2em; }
p.sub { color: #555; margin: 0 0 1em; }
.legend span { font: 13px monospace; padding: .15em .6em; }
pre#text { font: 15px/1.45 ui-monospace, Menlo, Consolas, monospace; white-space: pre-wrap; word-break: break-all; border: 1px solid #ddd; padding: 1em; }
pre#text span { border-radius: 2px; }
</style>
</head>
<body>
<h1>${esc(p.title)}</h1>
<p class="sub">${esc(p.subtitle)}</p>
<p class="legend">activation: ${legend.join('')}${p.guesses ? ' &nbsp; hover a character for its activation and the model’s top guesses' : ' &nbsp; hover a character for its activation'}</p>
<pre id="text">${spans.join('')}</pre>
</body>
</html>
`;
}
