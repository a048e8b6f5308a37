/**
 * TEMPORARY: the corpus readers moved to src/corpus/read.ts (the core does no file I/O). This re-export keeps the
 * importers that are being rewritten elsewhere (src/cli/{eval,score,inspect,export,inputs}.ts, src/index.ts)
 * building until they import src/corpus/read.ts themselves; then delete this file and its entry in
 * .dependency-cruiser-known-violations.json.
 */
export { readCorpus, readStream } from '../corpus/read.js';
export type { ByteSource } from '../corpus/read.js';
