#!/usr/bin/env node
// Thin entry: all logic lives in the built CLI.
import { main } from '../dist/cli/main.js';
main(process.argv);
