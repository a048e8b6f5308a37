/**
 * charnn's import rules. `npm run lint:deps` checks them, and test/architecture.test.ts runs the same check in
 * `npm test`, with no known violations: a rule broken is a failed test.
 *
 * The layers of src/, from the bottom up:
 *   errors          src/errors.ts                                  imports nothing
 *   core            src/{math,model,data,train,sample}/            pure computation (math at the bottom)
 *   infrastructure  src/{checkpoint,corpus,export}/, src/fs-probe.ts, src/version.ts, src/options.ts
 *   application     src/commands/
 *   adapters        src/cli/ (the command line), src/api/ + src/index.ts (the library), src/serve/ (the server)
 * A layer imports only the layers below it.
 */

const ERRORS = '^src/errors[.]ts$';
const CORE = '^src/(math|model|data|train|sample)/';
const INFRA = '^src/((checkpoint|corpus|export)/|(fs-probe|version|options)[.]ts$)';
const COMMANDS = '^src/commands/';
const ADAPTERS = '^src/(cli/|api/|serve/|index[.]ts$)';
const LIBRARY = '^src/(api/|index[.]ts$)';

/** The backends' loaders: they load the native addon or the wasm module and start worker threads. */
const BACKEND_LOADERS = ['^src/math/native/', '^src/math/wasm/(index|pool)[.]ts$'];

/** Node's modules that reach outside the process's memory: files, other processes, the network, threads. */
const NODE_IO = '^(node:)?(fs|fs/promises|child_process|cluster|dgram|dns|dns/promises|http|http2|https|inspector|module|net|os|process|readline|readline/promises|repl|stream|stream/promises|tls|tty|v8|vm|worker_threads)$';

/** The terminal's packages: only the command line draws on the terminal. */
const TERMINAL_PACKAGES = '^node_modules/(commander|chalk|cli-progress|@types/cli-progress)/';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    // ---- everywhere ----
    {
      name: 'no-circular',
      comment: 'A cycle makes two modules one: neither can be understood, tested or moved alone, and the order of their initialisation decides what is undefined at import time. Break it by moving the shared part down.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-orphans',
      comment: 'A module nothing imports and that imports nothing is dead code (or an entry nobody wired up): delete it or use it.',
      severity: 'error',
      from: {
        orphan: true,
        pathNot: [
          '[.]d[.]ts$',
          // AssemblyScript, built into a .wasm by scripts/build-wasm.mjs; never imported as TypeScript
          '^src/math/wasm/assembly/',
        ],
      },
      to: {},
    },
    {
      name: 'not-to-unresolvable',
      comment: 'An import that resolves to nothing fails at run time (a typo, a file moved, a package not installed).',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: 'not-to-dev-dep',
      comment: 'The published package installs only `dependencies`: src/ importing a devDependency works here and fails for a user.',
      severity: 'error',
      from: { path: '^src/' },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'no-import-of-entry-points',
      comment: 'src/index.ts (the library) and src/cli/main.ts (the command line) are the tops of the graph: importing them runs upward and pulls a whole front end in.',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^src/(index|cli/main)[.]ts$' },
    },
    // ---- errors ----
    {
      name: 'errors-import-nothing',
      comment: 'src/errors.ts is below every layer (all of them throw and format its errors), so it can import none of them.',
      severity: 'error',
      from: { path: ERRORS },
      to: {},
    },
    // ---- core ----
    {
      name: 'math-at-the-bottom',
      comment: 'The kernels and backends are the bottom of the core: model, data, train and sample build on them, so math imports none of them (only errors.ts).',
      severity: 'error',
      from: { path: '^src/math/' },
      to: { path: '^src/', pathNot: ['^src/math/', ERRORS] },
    },
    {
      name: 'core-not-upward',
      comment: 'The core (math, model, data, train, sample) is pure computation that every front end shares: it imports only itself and errors.ts, never infrastructure, the application layer or an adapter.',
      severity: 'error',
      from: { path: CORE },
      to: { path: '^src/', pathNot: [CORE, ERRORS] },
    },
    {
      name: 'core-no-io',
      comment: 'The core takes bytes and gives numbers: files, processes, threads and the network are the infrastructure\'s and the commands\' business. Only the backends\' loaders (the native addon, the wasm module and its worker threads) may load what they run.',
      severity: 'error',
      from: { path: CORE, pathNot: BACKEND_LOADERS },
      to: { dependencyTypes: ['core'], path: NODE_IO },
    },
    {
      name: 'core-no-packages',
      comment: 'The core is plain TypeScript: a package in it would ride along into every front end (only the native loader needs node-gyp-build).',
      severity: 'error',
      from: { path: CORE, pathNot: BACKEND_LOADERS },
      to: { dependencyTypes: ['npm', 'npm-dev', 'npm-optional', 'npm-peer', 'npm-no-pkg', 'npm-unknown'] },
    },
    // ---- infrastructure ----
    {
      name: 'infrastructure-not-upward',
      comment: 'The infrastructure (checkpoints, corpora, export, the options table) serves the commands and the adapters; importing them would run upward.',
      severity: 'error',
      from: { path: INFRA },
      to: { path: [COMMANDS, ADAPTERS] },
    },
    // ---- application layer ----
    {
      name: 'commands-no-adapters',
      comment: 'The commands are shared by the command line, the library and the server: a command that imports one of them drags it into the others and lets them drift.',
      severity: 'error',
      from: { path: COMMANDS },
      to: { path: ADAPTERS },
    },
    {
      name: 'terminal-packages-only-in-cli',
      comment: 'commander, chalk and cli-progress are the terminal\'s: a command (or anything below) that used them could not run in the library or the server. Commands speak through their io port.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/cli/' },
      to: { path: TERMINAL_PACKAGES },
    },
    // ---- adapters ----
    {
      name: 'library-not-cli-or-serve',
      comment: 'The library (src/api/, src/index.ts) is imported by other programs: it must not pull in the command line or the HTTP server.',
      severity: 'error',
      from: { path: LIBRARY },
      to: { path: '^src/(cli|serve)/' },
    },
    {
      name: 'serve-not-cli-or-library',
      comment: 'The server is an adapter beside the command line and the library: it calls the commands, not another front end.',
      severity: 'error',
      from: { path: '^src/serve/' },
      to: { path: ['^src/cli/', LIBRARY] },
    },
    {
      name: 'cli-not-library-or-server',
      comment: 'The command line calls the commands, not another front end; its one way into the server is src/serve/command.ts (the `charnn serve` command).',
      severity: 'error',
      from: { path: '^src/cli/' },
      to: { path: ['^src/serve/', LIBRARY], pathNot: '^src/serve/command[.]ts$' },
    },
  ],
  options: {
    doNotFollow: { path: ['node_modules'] },
    exclude: { path: ['^src/math/wasm/assembly/'] },
    // `import type` counts: a type-only import still ties the layers together
    tsPreCompilationDeps: true,
    // the imports say `./x.js` and mean `./x.ts` (NodeNext): resolve them as TypeScript does
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    reporterOptions: {
      text: { highlightFocused: true },
    },
  },
};
