import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { addOptions, COMMON, EVAL, INFO, parseDuration, readOptions, SAMPLE, TRAIN } from '../src/cli/options.js';

describe('options table', () => {
  it('parses durations', () => {
    expect(parseDuration('10m')).toBe(600);
    expect(parseDuration('1h30m')).toBe(5400);
    expect(parseDuration('90s')).toBe(90);
    expect(parseDuration('45')).toBe(45);
    expect(parseDuration('1.5h')).toBe(5400);
    expect(parseDuration('0')).toBe(0);
    for (const bad of ['soon', '10x', '', 'm10', '10m junk', '-5m']) expect(() => parseDuration(bad), bad).toThrow(/duration/);
  });

  it('every row becomes an option whose parsed value and source are read back', () => {
    for (const table of [TRAIN, SAMPLE, EVAL, INFO, COMMON]) addOptions(new Command('x'), table); // keys match flags
    const cmd = addOptions(new Command('train').exitOverride(), TRAIN);
    cmd.parse(['--hidden', '64', '--time', '2m', '--val-frac', '0.05'], { from: 'user' });
    const { values, given } = readOptions(cmd, TRAIN);
    expect(values.hidden).toBe(64);
    expect(values.time).toBe(120);
    expect(values.valFrac).toBe(0.05);
    expect(values.layers).toBe(TRAIN.layers.default);
    expect(values.resume).toBe('');
    expect([...given].sort()).toEqual(['hidden', 'time', 'valFrac']);
  });

  it('rejects out-of-range and non-numeric values', () => {
    const bad: Array<[string[], RegExp]> = [
      [['--hidden', '1.5'], /whole number/],
      [['--hidden', '-3'], /between 1 and/],
      [['--batch', '0'], /at least 1/],
      [['--lr', 'Infinity'], /not a number/],
      [['--dropout', '-0.1'], /\[0, 1\)/],
      [['--seed', 'x'], /not a number/],
    ];
    for (const [args, msg] of bad) {
      const cmd = addOptions(new Command('train').exitOverride().configureOutput({ outputError: () => {} }), TRAIN);
      expect(() => cmd.parse(args, { from: 'user' }), args.join(' ')).toThrow(msg);
    }
  });
});
