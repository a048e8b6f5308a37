/**
 * The published package runs native without a compiler or install scripts: prepack's prebuilt binary
 * (prebuilds/<platform>-<arch>/, found by node-gyp-build) travels in the tarball. Packs the working tree, installs
 * the tarball globally into a temporary prefix (npm runs no install script of it: npm's policy for packages
 * installed this way), and checks that the installed `charnn train` names the native backend.
 * Skipped where the addon does not build here (nothing to pack).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { nativeIsas, nativeMissing } from './helpers/backends.js';
import { cleanEnv, requireBuild, ROOT, smallText } from './helpers/cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'charnn-pack-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe.skipIf(nativeMissing !== null)(`packed package${nativeMissing ? ` (skipped: ${nativeMissing})` : ''}`, () => {
  it('npm pack carries the prebuilt addon; installed globally, charnn train runs native', () => {
    requireBuild();
    const env = { ...cleanEnv(), npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' };
    // prepack's step (here without the dist/ rebuild of `prepare`, which would rewrite files other tests run)
    execFileSync(process.execPath, [join(ROOT, 'scripts', 'build-native.mjs'), '--prebuild'], { cwd: ROOT, env, stdio: 'pipe' });
    execFileSync('npm', ['pack', '--ignore-scripts', '--pack-destination', tmp], { cwd: ROOT, env, stdio: 'pipe' });
    const tgz = readdirSync(tmp).find((f) => f.endsWith('.tgz'));
    expect(tgz).toBeDefined();
    const listing = execFileSync('tar', ['-tzf', join(tmp, tgz!)], { encoding: 'utf8' });
    expect(listing).toMatch(new RegExp(`package/prebuilds/${process.platform}-${process.arch}/node\\.napi[.a-z]*\\.node`));
    expect(listing).not.toMatch(/package\/build\//);

    const prefix = join(tmp, 'prefix');
    execFileSync('npm', ['install', '-g', '--prefix', prefix, '--prefer-offline', join(tmp, tgz!)], { cwd: tmp, env, stdio: 'pipe', timeout: 240_000 });
    const pkg = process.platform === 'win32' ? join(prefix, 'node_modules', 'charnn') : join(prefix, 'lib', 'node_modules', 'charnn');
    expect(existsSync(join(pkg, 'build'))).toBe(false); // no install script ran: the prebuilt binary is what loads
    writeFileSync(join(tmp, 'corpus.txt'), smallText());
    const bin = join(prefix, 'bin', 'charnn');
    const r = spawnSync(bin, ['train', 'corpus.txt', '--hidden', '8', '--layers', '1', '--batch', '2', '--seq', '8', '--steps', '2', '--threads', '2', '--out', 'run'], {
      cwd: tmp, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'],
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(join('run', 'latest.json'));
    expect(r.stderr).toContain(`native backend (${nativeIsas()[0]}, 2 threads)`);
    expect(r.stderr).not.toMatch(/warning/);
  }, 300_000);
});
