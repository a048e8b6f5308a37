/** The charnn command line (placeholder until the CLI issue lands). */
import { Command } from 'commander';
import { registerCorpusCommands } from './corpus.js';

export function main(argv: string[]): void {
  const program = new Command('charnn')
    .description('Character-level RNN/LSTM/GRU text generator')
    .version('0.1.0');
  registerCorpusCommands(program);
  program.parse(argv);
}
