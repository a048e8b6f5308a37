/**
 * `charnn corpus list` and `charnn corpus get NAME`: the corpus commands (src/commands/corpus.ts) on the command
 * line (a download's progress on stderr: corpus-progress.ts).
 */
import type { Command } from 'commander';
import { getCorpus, listCorpora, reportCorpusGet, reportCorpusList } from '../commands/corpus.js';
import { CORPUS_GET, CORPUS_LIST } from '../options.js';
import { defineCommand } from './command.js';

export function registerCorpusCommands(program: Command): void {
  const corpus = program.command('corpus').description('list and fetch well-known public corpora (verified by size and SHA-256)');
  defineCommand(corpus, {
    name: 'list',
    description: 'show the registered corpora, their size, and whether they are cached',
    table: CORPUS_LIST,
    run: async (_input, io) => reportCorpusList(await listCorpora(io), io),
  });
  defineCommand(corpus, {
    name: 'get',
    description: 'fetch a corpus into the cache (or find it there), verify it, and print its path',
    args: [['<name>', 'a name from `charnn corpus list`']],
    table: CORPUS_GET,
    run: async ({ args, values }, io) => reportCorpusGet(await getCorpus(args[0] as string, values, io), io),
  });
}
