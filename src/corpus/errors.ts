/**
 * The one error type of the corpus module. `code` lets callers (the CLI, tests) tell failures apart without
 * parsing messages; `message` is one line in the project's form `what failed: why (hint)` minus the `charnn: `
 * prefix the CLI adds.
 */
export type CorpusErrorCode =
  | 'registry' // registry.json missing or malformed
  | 'not-found' // neither an existing path nor a registry name
  | 'http' // a non-200, non-redirect status
  | 'redirect' // too many redirects or a redirect without Location
  | 'network' // connection refused, DNS failure, reset
  | 'timeout' // no bytes for too long
  | 'size' // truncated or oversized body / file
  | 'hash' // SHA-256 mismatch
  | 'cache' // no writable cache folder
  | 'unavailable'; // every source of a registry corpus failed (offline, no mirror)

export class CorpusError extends Error {
  override readonly name = 'CorpusError';
  constructor(
    readonly code: CorpusErrorCode,
    message: string,
  ) {
    super(message);
  }
}
