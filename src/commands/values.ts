/**
 * A command's options from a plain object instead of a command line: the library's options and a server request's
 * JSON. Every key is a row of the command's table (camelCase, as `--help` spells the flag), every value is checked
 * by the row's own parser, so a value the command line refuses is refused here for the same reason, and a key
 * left out takes the table's default. Unknown keys are refused, with the nearest name when there is one.
 */
import { CharnnError, quote, safeText } from '../errors.js';
import { OptionValueError, type OptSpec, type Table, type Values } from '../options.js';

export interface ValuesFromOptions<T extends Table> {
  /** the keys this front end takes (default: every row of the table) */
  keys?: ReadonlyArray<keyof T & string>;
  /** names other APIs use for the same options, for a "did you mean" */
  aliases?: Record<string, keyof T & string>;
  /** numbers must be JSON numbers (a request); otherwise a string is parsed as the command line would ('10m') */
  strict?: boolean;
}

export function valuesFrom<T extends Table>(table: T, doc: Record<string, unknown>, o: ValuesFromOptions<T> = {}): { values: Values<T>; given: Set<keyof T> } {
  const keys = (o.keys ?? Object.keys(table)) as Array<keyof T & string>;
  for (const key of Object.keys(doc)) {
    if (doc[key] === undefined || (keys as string[]).includes(key)) continue;
    const near = suggest(key, keys, o.aliases);
    throw CharnnError.usage(`unknown option ${safeText(key, 40)}`, `${near ? `did you mean ${near}? ` : ''}one of: ${keys.join(', ')}`, 'invalid option');
  }
  const values = {} as Record<string, unknown>;
  const given = new Set<keyof T>();
  for (const [key, spec] of Object.entries(table) as Array<[keyof T & string, OptSpec]>) {
    const v = (keys as string[]).includes(key) ? doc[key] : undefined;
    if (v === undefined || v === null) {
      values[key] = spec.default;
      continue;
    }
    values[key] = parseValue(key, spec, v, o.strict ?? false);
    given.add(key);
  }
  return { values: values as Values<T>, given };
}

function parseValue(key: string, spec: OptSpec, v: unknown, strict: boolean): unknown {
  const bad = (why: string, hint?: string): never => {
    throw CharnnError.usage(`${key} ${shown(v)}: ${why}`, hint, 'invalid option');
  };
  const want = Array.isArray(spec.default) ? 'a list of strings' : typeof spec.default === 'number' ? 'a number' : typeof spec.default === 'boolean' ? 'true or false' : 'a string';
  const parse = spec.parse;
  try {
    if (Array.isArray(spec.default)) {
      if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) bad(`must be ${want}`);
      return (v as string[]).reduce((prev: unknown, x) => (parse ? parse(x, prev) : [...(prev as string[]), x]), []);
    }
    if (typeof spec.default === 'boolean') return typeof v === 'boolean' ? v : bad(`must be ${want}`);
    if (typeof spec.default === 'number') {
      if (typeof v === 'number' && !Number.isFinite(v)) bad(Number.isNaN(v) ? 'not a number' : 'must be a finite number');
      if (typeof v !== 'number' && (strict || typeof v !== 'string')) bad(`must be ${want}`);
    } else if (typeof v !== 'string') bad(`must be ${want}`);
    return parse ? parse(String(v)) : v;
  } catch (e) {
    if (e instanceof OptionValueError) bad(e.message.replace(/\.$/, ''));
    throw e;
  }
}

/** A value as an error line shows it: strings quoted and cut, others as JSON. */
function shown(v: unknown): string {
  if (typeof v === 'string') return quote(v, 40);
  if (typeof v === 'number') return Number.isFinite(v) ? JSON.stringify(v) : String(v);
  if (Array.isArray(v)) return 'an array';
  if (v === null) return 'null';
  if (typeof v === 'object') return 'an object';
  return String(v);
}

function suggest<K extends string>(key: string, keys: readonly K[], aliases: Record<string, K> = {}): K | undefined {
  const norm = key.toLowerCase().replace(/[^a-z]/g, '');
  return keys.find((k) => k.toLowerCase() === norm) ?? (Object.hasOwn(aliases, norm) ? aliases[norm] : undefined); // own names only: not "constructor"
}
