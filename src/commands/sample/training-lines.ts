/**
 * `sample --novel`: the lines of the list a line-mode model was trained on, prepared as training prepared them:
 * --corpus PATH, else the checkpoint's own list, found as every command finds it (common/recorded-corpus.ts: from
 * any folder, by its recorded source, absolute path or file names, checked by SHA-256).
 */
import type { Checkpoint } from '../../checkpoint/schema.js';
import { encodeLines, joinLineParts, lineStrings } from '../../data/line-corpus.js';
import { prepareBytes } from '../../data/prepare.js';
import { attemptSync, CharnnError } from '../../errors.js';
import { readCorpusInput } from '../common/corpus-input.js';
import { recordedCandidates, recordedCorpus } from '../common/recorded-corpus.js';
import { trainedPreparation } from '../common/text.js';
import type { Io } from '../io.js';

export async function trainingLines(ckpt: Checkpoint, corpusArg: string, io: Io): Promise<Set<string>> {
  const hint = 'give the training list with --corpus PATH';
  let parts: Uint8Array[];
  if (corpusArg) {
    const c = await readCorpusInput(corpusArg, io).catch((e: Error) => {
      throw new CharnnError(`${e.message.replace(/ \(.*\)$/, '')}`, hint, 'cannot read the training list for --novel');
    });
    if (ckpt.corpus && c.sha256 !== ckpt.corpus.sha256) io.warn(`${corpusArg} is not the list the model was trained on (its SHA-256 differs): novel means not in this list`);
    parts = c.parts;
  } else {
    if (!ckpt.corpus || recordedCandidates(ckpt.corpus).length === 0) {
      throw new CharnnError('--novel needs the training list, and the checkpoint does not say where it is', 'give it with --corpus PATH', 'cannot sample');
    }
    parts = (await recordedCorpus(ckpt.corpus, io, { what: 'cannot read the training list for --novel', hint: () => hint })).parts;
  }
  const prep = trainedPreparation(ckpt);
  return lineStrings(attemptSync('cannot use the training list', () => encodeLines(joinLineParts(parts.map((p) => prepareBytes(p, prep))), 2)));
}
