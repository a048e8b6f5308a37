/**
 * `sample --novel`: the lines of the list a line-mode model was trained on, read again from --corpus, else from
 * where the checkpoint recorded it (several files by their recorded names, joined as training joined them),
 * prepared as training prepared them.
 */
import type { Checkpoint } from '../../checkpoint/schema.js';
import { encodeLines, joinLineParts, lineStrings } from '../../data/line-corpus.js';
import { prepareBytes } from '../../data/prepare.js';
import { attemptSync, CharnnError } from '../../errors.js';
import { readCorpusInput } from '../common/corpus-input.js';
import { preparationOfCheckpoint } from '../common/text.js';
import type { Io } from '../io.js';

export async function trainingLines(ckpt: Checkpoint, corpusArg: string, io: Io): Promise<Set<string>> {
  const files = ckpt.corpus?.files ?? [];
  const source: string | string[] | undefined = corpusArg || (files.length > 1 ? files.map((f) => f.name) : ckpt.corpus?.source);
  const shown = Array.isArray(source) ? `its ${source.length} files` : source;
  if (!source || source === '-') {
    throw new CharnnError('--novel needs the training list, and the checkpoint does not say where it is', 'give it with --corpus PATH', 'cannot sample');
  }
  const prep = preparationOfCheckpoint(ckpt);
  const c = await readCorpusInput(source, io).catch((e: Error) => {
    throw new CharnnError(`${e.message.replace(/ \(.*\)$/, '')}`, 'give the training list with --corpus PATH', 'cannot read the training list for --novel');
  });
  if (ckpt.corpus && c.sha256 !== ckpt.corpus.sha256) {
    io.warn(`${shown} ${Array.isArray(source) ? 'are' : 'is'} not the list the model was trained on (its SHA-256 differs): novel means not in this list`);
  }
  return lineStrings(attemptSync('cannot use the training list', () => encodeLines(joinLineParts(c.parts.map((p) => prepareBytes(p, prep))), 2)));
}
