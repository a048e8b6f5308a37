/**
 * The defaults table (src/options.ts) as commander options: every command's options are generated from its rows,
 * and read back with which ones the user gave. The table itself lives outside cli/ so the library shares it.
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { OptionValueError, type Table, type Values } from '../options.js';

export * from '../options.js';

/** Add a table's options to a command. The table key must be commander's attribute name for the flag. */
export function addOptions(cmd: Command, table: Table): Command {
  for (const [key, spec] of Object.entries(table)) {
    const o = new Option(spec.flags, spec.help);
    if (o.attributeName() !== key) throw new Error(`options table: key ${key} does not match flag ${spec.flags}`);
    const parse = spec.parse;
    if (parse) {
      o.argParser((v: string, previous: unknown) => {
        try {
          return parse(v, previous);
        } catch (e) {
          throw e instanceof OptionValueError ? new InvalidArgumentError(e.message) : e; // commander names the option
        }
      });
    }
    // empty and false defaults are not worth a "(default: ...)" in --help; readOptions fills them in
    if (spec.show !== undefined) o.default(spec.default, spec.show);
    else if (!(o.negate || spec.default === '' || spec.default === false)) o.default(spec.default);
    cmd.addOption(o);
    // old spellings: hidden options of their own attribute, folded into the key by readOptions
    for (const alias of spec.aliases ?? []) {
      const a = new Option(`${alias}${spec.flags.replace(/^.*--[\w-]+/, '')}`, `old spelling of ${o.long}`).hideHelp();
      if (o.parseArg) a.argParser(o.parseArg);
      if (o.negate || aliasKey(alias) in table) throw new Error(`options table: ${key}: alias ${alias} is negated or taken`);
      cmd.addOption(a);
    }
  }
  return cmd;
}

/** The attribute commander stores an alias under ('--force' -> 'force'). */
const aliasKey = (alias: string) => new Option(alias).attributeName();

/** Values of a table from a parsed command, which keys the user gave explicitly, and the old spellings used
 *  (`renamed`: [old, new] flag pairs, for a warning that says what to use). */
export function readOptions<T extends Table>(cmd: Command, table: T): { values: Values<T>; given: Set<keyof T>; renamed: Array<[string, string]> } {
  const raw = cmd.opts();
  const values = {} as Values<T>;
  const given = new Set<keyof T>();
  const byUser = (src: string | undefined) => src === 'cli' || src === 'env';
  const renamed: Array<[string, string]> = [];
  for (const key of Object.keys(table) as Array<keyof T & string>) {
    let value = raw[key];
    let src = cmd.getOptionValueSource(key);
    for (const alias of table[key].aliases ?? []) {
      if (!byUser(cmd.getOptionValueSource(aliasKey(alias)))) continue;
      renamed.push([alias, /--[\w-]+/.exec(table[key].flags)![0]]);
      if (!byUser(src)) {
        value = raw[aliasKey(alias)]; // the new spelling wins when both are given
        src = 'cli';
      }
    }
    // the global options (COMMON) are also the program's: given before the command, or after it when commander
    // gave them to the program, they are found there
    for (let p = cmd.parent; p && !byUser(src); p = p.parent) {
      if (byUser(p.getOptionValueSource(key))) {
        value = p.getOptionValue(key);
        src = p.getOptionValueSource(key);
      }
    }
    (values as Record<string, unknown>)[key] = value ?? table[key].default;
    if (byUser(src)) given.add(key);
  }
  return { values, given, renamed };
}
