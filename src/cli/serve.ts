/**
 * `charnn serve [checkpoint...]`: the server (src/serve/command.ts) on a terminal. The URL goes to stdout,
 * everything else to stderr. SIGINT/SIGTERM/SIGHUP let open streams finish for --grace, then the command exits 0; a
 * second signal cuts them.
 */
import type { Command } from 'commander';
import { EXIT, formatError } from '../errors.js';
import { SERVE } from '../options.js';
import { startServing } from '../serve/command.js';
import { defineCommand } from './command.js';

export function registerServe(program: Command): void {
  defineCommand(program, {
    name: 'serve',
    description: 'a playground page and a streaming HTTP API on 127.0.0.1; prints the URL on stdout',
    args: [['[checkpoint...]', 'checkpoints or run folders to serve (default: the one charnn sample would use)']],
    table: SERVE,
    async run({ args, values, given }, io) {
      const serving = await startServing({ checkpoints: args[0] as string[], values, given, onInternalError: (e) => io.ui.error(formatError(e), (e as Error)?.stack) }, io);
      // the handlers go in before the URL is printed: whoever reads it may signal at once
      const stopped = new Promise<void>((resolve) => {
        let stopping = false;
        const onSignal = (sig: NodeJS.Signals) => {
          const n = serving.server.streams;
          if (stopping) {
            io.info(`${sig} again: cutting ${n} open stream${n === 1 ? '' : 's'}`);
            serving.server.abort();
            return;
          }
          stopping = true;
          io.info(`${sig}: stopping${n ? `; ${n} open stream${n === 1 ? '' : 's'} may finish within ${values.grace}s` : ''}`);
          serving.close().then(resolve, resolve);
        };
        process.on('SIGINT', onSignal);
        process.on('SIGTERM', onSignal);
        process.on('SIGHUP', onSignal); // the terminal closed: as graceful as SIGTERM (SIGUSR1 is ignored: main.ts)
      });
      await io.out.write(serving.url + '\n');
      await stopped;
      return EXIT.OK;
    },
  });
}
