/** Moved to src/checkpoint/run-state.ts (the library uses it too); kept so CLI imports stay short. */
export * from '../checkpoint/run-state.js';
