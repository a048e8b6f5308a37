/**
 * How a corpus download shows on a terminal, for `corpus get` and `train NAME`: a cli-progress bar when stderr is a
 * TTY, else one plain line per source tried.
 */
import cliProgress from 'cli-progress';
import { humanBytes } from '../commands/format.js';
import type { ResolveOptions } from '../corpus/resolve.js';

type Out = NodeJS.WritableStream & { isTTY?: boolean };

/**
 * Progress reporting for a corpus fetch, for `corpus get` and for `train NAME` (the CLI passes the returned
 * callbacks into resolveCorpus). Call `stop()` when done, success or not, to release the terminal line. `quiet`
 * (--quiet): neither status lines nor a bar.
 */
export function corpusProgress(stderr: Out = process.stderr, quiet = false): Required<Pick<ResolveOptions, 'onProgress' | 'onStatus'>> & {
  stop(): void;
} {
  let bar: cliProgress.SingleBar | undefined;
  let label = 'corpus';
  return {
    onStatus(message) {
      label = message;
      if (bar) {
        bar.stop();
        bar = undefined;
      }
      if (!stderr.isTTY && !quiet) stderr.write(`charnn: ${message}\n`);
    },
    onProgress(bytes, total) {
      if (!stderr.isTTY || quiet) return;
      if (!bar) {
        bar = new cliProgress.SingleBar(
          {
            stream: stderr,
            format: `{bar} {percentage}% | {got} of {size} | ${label}`,
            hideCursor: true,
            clearOnComplete: true,
          },
          cliProgress.Presets.shades_classic,
        );
        bar.start(total, 0, { got: humanBytes(0), size: humanBytes(total) });
      }
      bar.update(bytes, { got: humanBytes(bytes) });
    },
    stop() {
      bar?.stop();
      bar = undefined;
    },
  };
}

