#!/usr/bin/env node
/**
 * Builds the native backend (binding.gyp, native/src/) with node-gyp. Run by `npm install` / `npm ci` (the
 * package's install script) and, with --prebuild, by `prepack`, which also copies the binary to
 * prebuilds/<platform>-<arch>/ (prebuildify's layout, loaded by node-gyp-build) so the packed package runs native
 * without a compiler or install scripts.
 *
 * Optional by design: without a compiler, Python or Node's headers the install still succeeds (exit 0, one line
 * saying why) and charnn runs on wasm. CHARNN_SKIP_NATIVE=1 skips the build. --prebuild failures do fail.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const prebuild = process.argv.includes('--prebuild');
const say = (msg) => process.stderr.write(`charnn: ${msg}\n`);

if (process.env.CHARNN_SKIP_NATIVE === '1' && !prebuild) {
  say('native backend not built (CHARNN_SKIP_NATIVE=1); charnn will run on wasm');
  process.exit(0);
}

/** A prebuilt binary for this platform that loads: nothing to build. */
function prebuiltLoads() {
  if (!existsSync(join(root, 'prebuilds'))) return false;
  try {
    createRequire(import.meta.url)('node-gyp-build')(root);
    return true;
  } catch {
    return false;
  }
}

/** npm runs scripts with its own node-gyp (npm_config_node_gyp); else the one beside npm, else PATH's. */
function nodeGyp() {
  const fromNpm = process.env.npm_config_node_gyp;
  if (fromNpm && existsSync(fromNpm)) return [process.execPath, fromNpm];
  const besideNpm = join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  if (existsSync(besideNpm)) return [process.execPath, besideNpm];
  return ['node-gyp'];
}

function build() {
  const [cmd, ...pre] = nodeGyp();
  const args = [...pre, 'rebuild', '--release'];
  // Node's own headers where the runtime was installed with them (no download; there may be no network)
  const headers = join(dirname(process.execPath), '..');
  if (existsSync(join(headers, 'include', 'node', 'node_api.h'))) args.push(`--nodedir=${headers}`);
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 600_000 });
  if (r.error) return `cannot run node-gyp (${r.error.message})`;
  if (r.status !== 0) {
    const lines = `${r.stdout}\n${r.stderr}`.split('\n').map((l) => l.trim()).filter((l) => /error|not found|ERR!/i.test(l));
    return `node-gyp failed: ${lines.find((l) => !/gyp ERR! (stack|System|command|cwd|node -v|node-gyp -v|not ok)/.test(l)) ?? `exit ${r.status}`}`;
  }
  return null;
}

/** build/Release/charnn.node newer than every source: a prebuild can copy it (a rebuild would also delete it
 *  under any test or command using it). */
function builtIsCurrent() {
  const bin = join(root, 'build', 'Release', 'charnn.node');
  if (!existsSync(bin)) return false;
  const src = [join(root, 'binding.gyp'), ...readdirSync(join(root, 'native', 'src')).map((f) => join(root, 'native', 'src', f))];
  const built = statSync(bin).mtimeMs;
  return src.every((f) => statSync(f).mtimeMs <= built);
}

if (!prebuild && prebuiltLoads()) process.exit(0);
const failed = prebuild && builtIsCurrent() ? null : build();
if (failed) {
  if (prebuild) {
    say(`prebuild failed: ${failed}`);
    process.exit(1);
  }
  say(`native backend not built (${failed}); charnn will run on wasm`);
  process.exit(0);
}
if (prebuild) {
  const libc = process.platform === 'linux' ? (process.report?.getReport().header.glibcVersionRuntime ? '.glibc' : '.musl') : '';
  const dir = join(root, 'prebuilds', `${process.platform}-${process.arch}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  copyFileSync(join(root, 'build', 'Release', 'charnn.node'), join(dir, `node.napi${libc}.node`));
  say(`prebuilt ${join('prebuilds', `${process.platform}-${process.arch}`, `node.napi${libc}.node`)}`);
}
