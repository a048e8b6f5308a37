import { CharnnError } from '../errors.js';

/** Errors about checkpoint files: `why` says what is wrong with the file, `hint` what the user can do. */
export class CheckpointError extends CharnnError {
  override name = 'CheckpointError';
}
