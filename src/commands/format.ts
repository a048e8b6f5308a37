/** Numbers and durations as messages show them. */

/** 12345 -> '12.3k' */
export function human(n: number): string {
  if (!Number.isFinite(n)) return '?';
  if (n >= 1e6) return (n / 1e6).toFixed(1) + 'M';
  if (n >= 1e4) return (n / 1e3).toFixed(1) + 'k';
  return Math.round(n).toString();
}

/** seconds -> '1h02m', '3m05s', '42s' */
export function duration(sec: number): string {
  if (!Number.isFinite(sec) || sec < 0) return '?';
  const s = Math.round(sec);
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  if (h) return `${h}h${String(m).padStart(2, '0')}m`;
  if (m) return `${m}m${String(r).padStart(2, '0')}s`;
  return `${r}s`;
}

/** 0.001 -> '0.1%', 0.1 -> '10%', 0.999 -> '99.9%', 0.9999 -> '99.99%': as few digits as show the value without
 *  rounding it to 0% or 100%. */
export function percent(f: number): string {
  const v = f * 100;
  for (let p = 2; p <= 15; p++) {
    const s = Number(v.toPrecision(p));
    if ((s === 0) === (v === 0) && (s === 100) === (v === 100)) return `${s}%`;
  }
  return `${v}%`;
}

/** 1115394 -> "1.1 MB" (decimal units). */
export function humanBytes(n: number): string {
  if (n < 1000) return `${Math.round(n)} B`;
  const units = ['kB', 'MB', 'GB'];
  let v = n / 1000;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}
