/** Moved to checkpoint/run-state.ts (the library exports it); kept so the commands' imports stay as they were. */
export { checkpointOfRun, modelFromCheckpoint, trainerStateOf, type RunTotals } from '../checkpoint/run-state.js';
