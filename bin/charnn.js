#!/usr/bin/env node
// Thin entry: all logic lives in the built CLI.
// SIGUSR1 would open Node's inspector (its default action) until a listener exists: one goes in before anything loads
// (dist/cli/main.ts keeps one for the whole run; train's own saves a checkpoint).
process.on('SIGUSR1', () => {});
const { main } = await import('../dist/cli/main.js');
await main(process.argv);
