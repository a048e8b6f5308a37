/** Moved to run/backend-choice.ts (the library's train() chooses the same way); kept so the commands' imports stay short. */
export { backendOptions, chooseBackend } from '../run/backend-choice.js';
