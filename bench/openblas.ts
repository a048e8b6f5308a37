/**
 * PyTorch at its best for the speed benchmark: which OpenBLAS core PyTorch's sgemm runs, and the
 * OPENBLAS_CORETYPE that fixes a wrong guess. Debian's OpenBLAS 0.3.21 takes some AVX-512 CPUs for a "Prescott"
 * (SSE3) and runs sgemm 3.4x slower; OPENBLAS_VERBOSE=2 makes it print the core it chose. Used for the PyTorch
 * runs of the bench only, never for charnn or the tests.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Cores that use AVX-512 kernels, and those (plus these) that use AVX2 ones, in OpenBLAS's names. */
const AVX512_CORES = ['SkylakeX', 'Cooperlake', 'SapphireRapids'];
const AVX2_CORES = ['Haswell', 'Zen', ...AVX512_CORES];

export interface OpenBlasChoice {
  /** the core OpenBLAS picks by itself ('' when it says nothing: not OpenBLAS, or not installed) */
  detected: string;
  /** OPENBLAS_CORETYPE to set for PyTorch, or '' to leave it alone */
  coretype: string;
  /** the core PyTorch's runs then use */
  used: string;
  /** one line for the report */
  note: string;
}

/** The core OpenBLAS reports for one sgemm under `env` ('' if it reports none). */
function reportedCore(env: NodeJS.ProcessEnv): string {
  const r = spawnSync('/usr/bin/python3', ['-c', 'import torch; a = torch.rand(64, 64); torch.mm(a, a)'], {
    encoding: 'utf8', env: { ...env, OPENBLAS_VERBOSE: '2' },
  });
  return /Core:\s*(\w+)/.exec(`${r.stdout}\n${r.stderr}`)?.[1] ?? '';
}

function cpuFlags(): string[] {
  try {
    return (/^flags\s*:(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? '').trim().split(/\s+/);
  } catch {
    return [];
  }
}

export function chooseOpenBlasCore(): OpenBlasChoice {
  const base = { ...process.env };
  delete base.OPENBLAS_CORETYPE;
  const detected = reportedCore(base);
  if (!detected) {
    return { detected, coretype: '', used: '', note: 'OpenBLAS core: none reported (PyTorch is not on OpenBLAS: `apt-get install -y libopenblas0-openmp` for its real speed)' };
  }
  const flags = cpuFlags();
  const want = flags.includes('avx512f') ? 'SkylakeX' : flags.includes('avx2') && flags.includes('fma') ? 'Haswell' : '';
  const good = want === 'SkylakeX' ? AVX512_CORES : want === 'Haswell' ? AVX2_CORES : [detected];
  if (good.includes(detected) || !want) return { detected, coretype: '', used: detected, note: `OpenBLAS core: ${detected} (as detected)` };
  const used = reportedCore({ ...base, OPENBLAS_CORETYPE: want });
  return { detected, coretype: want, used, note: `OpenBLAS core: detected ${detected} on a CPU with ${want === 'SkylakeX' ? 'AVX-512' : 'AVX2'}; PyTorch runs with OPENBLAS_CORETYPE=${want} (core used: ${used || 'not reported'})` };
}
