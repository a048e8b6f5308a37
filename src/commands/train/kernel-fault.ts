/**
 * A test hook: CHARNN_FAULT_KERNEL=<kernel>:<n> makes the n-th call (1-based) of that kernel fail as a real
 * backend failure does (a KernelError), so the tests can show what a user sees when a kernel breaks mid-run and
 * that no checkpoint is touched afterwards. Unset (always, outside tests), the kernels are returned as they are.
 */
import { KernelError } from '../../errors.js';
import type { Kernels } from '../../math/kernels.js';

export function withInjectedFault(k: Kernels, spec: string | undefined): Kernels {
  if (!spec) return k;
  const m = /^(\w+):(\d+)$/.exec(spec);
  const fn = m && (k as unknown as Record<string, unknown>)[m[1]];
  if (!m || typeof fn !== 'function') throw new Error(`CHARNN_FAULT_KERNEL must be <kernel>:<call number>, got ${JSON.stringify(spec)}`);
  const name = m[1], at = Number(m[2]);
  let calls = 0;
  const faulty = (...args: unknown[]): unknown => {
    if (++calls === at) throw new KernelError(k.name, `${name} (call ${at})`, k.threads, 'fault injected by CHARNN_FAULT_KERNEL');
    return (fn as (...a: unknown[]) => unknown).apply(k, args);
  };
  return new Proxy(k, { get: (target, prop, recv) => (prop === name ? faulty : Reflect.get(target, prop, recv)) });
}
