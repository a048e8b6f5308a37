/**
 * The command line's io port (commands/io.ts): messages and progress on stderr through the Ui, data on stdout with
 * backpressure and a quiet end on a closed pipe, standard input, the current folder and the environment, and a
 * download bar for registry corpora. `close()` releases the terminal (progress bars) however the command ended.
 */
import { readStream } from '../corpus/read.js';
import type { Io, TextSink } from '../commands/io.js';
import { corpusProgress } from './corpus-progress.js';
import { StdoutStream } from './stdio.js';
import { Ui, type UiOptions } from './ui.js';

export interface TerminalIo extends Io {
  readonly ui: Ui;
  close(): void;
}

export function terminalIo(o: UiOptions): TerminalIo {
  const ui = new Ui(o);
  const download = corpusProgress(process.stderr, ui.quiet);
  let out: TextSink | null = null;
  return {
    ui,
    info: (m) => ui.info(m),
    warn: (m) => ui.warn(m),
    debug: (m) => ui.debug(m),
    progress: () => ui.progress(),
    task: (label) => ui.task(label),
    c: ui.c,
    // made on first use: it listens for stdout's errors, which only a command that writes data should handle
    get out() {
      return (out ??= new StdoutStream(process.stdout));
    },
    stdin: () => readStream(process.stdin),
    stdinIsTTY: Boolean(process.stdin.isTTY),
    cwd: process.cwd(),
    env: process.env,
    corpusStatus: download.onStatus,
    corpusProgress: download.onProgress,
    close() {
      download.stop();
      ui.stopProgress();
    },
  };
}
