/**
 * From corpus bytes to ids, for train and eval alike: the preparation (newline, NFC), then the encoding (one
 * vocabulary, rare characters to the unknown symbol when --min-char-count asks), with progress for a large
 * corpus. Each file is a document: where one starts, the carried state resets (train/trainer.ts).
 */
import type { CorpusFile } from '../../checkpoint/schema.js';
import { prepareBytes, UNKNOWN_CHAR, type Preparation } from '../../data/prepare.js';
import { encodeUtf8, type EncodedCorpus, type Vocab } from '../../data/vocab.js';
import { attemptSync } from '../../errors.js';
import { humanBytes } from '../format.js';
import { NO_TASK, type Task } from '../io.js';

/** Prepares `parts` (in place where it can: the caller's bytes are consumed) and encodes them. */
export function encodeCorpus(parts: Uint8Array[], files: readonly CorpusFile[], prep: Preparation, task: Task = NO_TASK, vocab?: Vocab): EncodedCorpus {
  const prepared = parts.map((p) => prepareBytes(p, prep));
  try {
    return attemptSync('cannot use the corpus', () =>
      encodeUtf8(prepared, vocab, {
        minCount: prep.minCharCount,
        unknownChar: prep.minCharCount > 1 ? UNKNOWN_CHAR : undefined,
        names: files.length > 1 ? files.map((f) => f.name) : undefined,
        onProgress: (done, total) => task.update(done, total, `${humanBytes(done / 2)} of ${humanBytes(total / 2)}`),
      }),
    );
  } finally {
    task.stop();
  }
}
