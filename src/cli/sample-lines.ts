/**
 * `charnn sample` of a line-mode model: --count N lines on stdout, one per line, drawn in parallel as batches of
 * N (sample/lines.ts). --novel keeps only lines not in the training list (read again from --corpus, else the
 * path or registry name the checkpoint recorded, checked against its SHA-256), --unique drops repeats; both draw
 * more batches until N lines pass, up to MAX_ROUNDS batches, and stderr reports the fraction that were novel.
 * --json prints one object per line: {"text", "logProb" (nats, the model's probability of the line and its end
 * token), "ended" (false: cut at --length)}.
 */
import type { Checkpoint } from '../checkpoint/schema.js';
import type { Vocab } from '../data/vocab.js';
import type { CharRNN } from '../model/char-rnn.js';
import { LineSampler, type LineSample } from '../sample/lines.js';
import { attemptSync, CharnnError, EXIT } from '../errors.js';
import { readCorpusInput } from '../commands/common/corpus-input.js';
import { recordedCandidates, recordedCorpus } from '../commands/common/recorded-corpus.js';
import { trainedPreparation } from '../commands/common/text.js';
import { withCorpusIo } from './inputs.js';
import { encodeLines, END, joinLineParts, lineStrings } from '../data/line-corpus.js';
import { prepareBytes } from '../data/prepare.js';
import type { Ui } from './ui.js';

/** Batches drawn at most for --novel / --unique before giving up with fewer lines (a model that only recites). */
const MAX_ROUNDS = 50;

export interface LineSampleOptions {
  count: number;
  novel: boolean;
  unique: boolean;
  json: boolean;
  /** --corpus: the training list for --novel ('' = the checkpoint's) */
  corpus: string;
  length: number;
  temp: number;
  topK: number;
  topP: number;
}

export interface LineWriter {
  write(text: string): Promise<boolean>;
}

/** `ready` is called once every input is valid (the training list for --novel read), before the first line. */
export async function sampleLines(
  ckpt: Checkpoint, model: CharRNN, vocab: Vocab, prime: number[], seed: number, o: LineSampleOptions, out: LineWriter, ui: Ui, ready: () => void = () => {},
): Promise<number> {
  const known = o.novel ? await trainingLines(ckpt, o.corpus, ui) : null;
  const endId = vocab.idOf(END);
  const sampler = attemptSync('invalid sampling options', () => new LineSampler(model, vocab, endId, o.count, { temperature: o.temp, topK: o.topK, topP: o.topP, seed }));
  ready();
  const seen = new Set<string>();
  let drawn = 0, novel = 0, printed = 0;
  for (let round = 0; printed < o.count && round < (known || o.unique ? MAX_ROUNDS : 1); round++) {
    const batch = attemptSync('cannot sample', () => sampler.draw(prime, o.length));
    for (const s of batch) {
      drawn++;
      const isNovel = known ? !known.has(s.text) : true;
      if (isNovel) novel++;
      if (printed === o.count || !isNovel || (o.unique && seen.has(s.text))) continue;
      seen.add(s.text);
      printed++;
      if (!(await out.write(format(s, o.json)))) return EXIT.OK; // the reader went away
    }
  }
  if (known) ui.info(`novel: ${novel} of ${drawn} drawn (${((100 * novel) / drawn).toFixed(1)}%) are not in the training list`);
  if (printed < o.count) {
    ui.warn(`only ${printed} of ${o.count} lines passed ${[known ? '--novel' : '', o.unique ? '--unique' : ''].filter(Boolean).join(' and ')} in ${drawn} draws (raise --temp for more variety)`);
  }
  return EXIT.OK;
}

function format(s: LineSample, json: boolean): string {
  return (json ? JSON.stringify({ text: s.text, logProb: Number(s.logProb.toFixed(6)), ended: s.ended }) : s.text) + '\n';
}

/** The lines of the list the model was trained on (prepared as training prepared them), for --novel: --corpus
 *  PATH, else the checkpoint's own list, found as every command finds it (common/recorded-corpus.ts: from any
 *  folder, by its recorded source, absolute path or file names, checked by SHA-256). */
async function trainingLines(ckpt: Checkpoint, corpusArg: string, ui: Ui): Promise<Set<string>> {
  const hint = 'give the training list with --corpus PATH';
  const parts = await withCorpusIo(ui, async (io) => {
    if (corpusArg) {
      const c = await readCorpusInput(corpusArg, io).catch((e: Error) => {
        throw new CharnnError(`${e.message.replace(/ \(.*\)$/, '')}`, hint, 'cannot read the training list for --novel');
      });
      if (ckpt.corpus && c.sha256 !== ckpt.corpus.sha256) ui.warn(`${corpusArg} is not the list the model was trained on (its SHA-256 differs): novel means not in this list`);
      return c.parts;
    }
    if (!ckpt.corpus || recordedCandidates(ckpt.corpus).length === 0) {
      throw new CharnnError('--novel needs the training list, and the checkpoint does not say where it is', 'give it with --corpus PATH', 'cannot sample');
    }
    return (await recordedCorpus(ckpt.corpus, io, { what: 'cannot read the training list for --novel', hint: () => hint })).parts;
  });
  const prep = trainedPreparation(ckpt);
  return lineStrings(attemptSync('cannot use the training list', () => encodeLines(joinLineParts(parts.map((p) => prepareBytes(p, prep))), 2)));
}
