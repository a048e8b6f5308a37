/**
 * One writer per run folder: `<folder>/.charnn.lock` exists while a `charnn train` writes there. It holds the
 * owner's pid, host and start time, and is created complete and atomically (written to a temporary file, then
 * hard-linked to its name: link fails if the name exists, as O_EXCL does, and a reader never sees it half-written).
 *
 * A lock whose owner is gone (kill -9, a crash, a power cut) is stale: same host and the pid no longer runs. It is
 * taken over with a warning. Takeovers are serialised by a second, short-lived lock (`.charnn.lock.takeover`), so
 * two runs finding the same stale lock cannot both win. A lock from another host cannot be checked: it is refused,
 * naming the host, and the hint says how to remove it. Readers (sample, info, eval) never look at it: checkpoints
 * are replaced by atomic renames, so a reader sees the old file or the new one.
 */
import { linkSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { CharnnError } from '../errors.js';

const LOCK_NAME = '.charnn.lock';

interface LockOwner {
  pid: number;
  host: string;
  /** ISO time the lock was taken */
  since: string;
}

export class RunLock {
  private released = false;
  private readonly onExit = () => this.release();

  private constructor(
    readonly path: string,
    private readonly text: string,
  ) {
    process.once('exit', this.onExit); // also when a second Ctrl-C ends the process at once
  }

  /** Take the lock of `dir`, or throw a CharnnError naming its holder. `warn` reports a stale lock taken over. */
  static acquire(dir: string, shown: string, warn: (msg: string) => void): RunLock {
    const path = join(dir, LOCK_NAME);
    const me: LockOwner = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
    const text = JSON.stringify(me) + '\n';
    for (let attempt = 0; attempt < 5; attempt++) {
      if (tryCreate(path, text)) return new RunLock(path, text);
      const held = readOwner(path);
      if (held === undefined) continue; // released just now: try again
      if (held && isLive(held)) throw heldError(held, shown);
      if (takeOver(path, text, held)) {
        warn(
          held
            ? `${shown} was locked by pid ${held.pid} on ${held.host} (since ${held.since}), which no longer runs: taking the lock over`
            : `${shown} had an unreadable lock file: taking it over`,
        );
        return new RunLock(path, text);
      }
    }
    throw new CharnnError(`${shown} is being locked and unlocked by other processes`, 'try again', 'cannot train');
  }

  /** Throw the "another charnn train is writing" error if a live process holds `dir`'s lock (an early check
   *  that reads only; `acquire` decides). */
  static refuseIfHeld(dir: string, shown: string): void {
    const held = readOwner(join(dir, LOCK_NAME));
    if (held && isLive(held)) throw heldError(held, shown);
  }

  /** Whether a live process holds `dir`'s lock (charnn runs: a run still training). */
  static isHeld(dir: string): boolean {
    const held = readOwner(join(dir, LOCK_NAME));
    return !!held && isLive(held);
  }

  /** Remove the lock if it is still ours (idempotent). */
  release(): void {
    if (this.released) return;
    this.released = true;
    process.removeListener('exit', this.onExit);
    try {
      if (readFileSync(this.path, 'utf8') === this.text) unlinkSync(this.path);
    } catch {
      /* already gone */
    }
  }
}

function heldError(held: LockOwner, shown: string): CharnnError {
  return new CharnnError(
    `another charnn train (pid ${held.pid} on ${held.host}, since ${held.since}) is writing to ${shown}`,
    held.host === hostname()
      ? 'wait for it to finish, stop it, or choose another --out or --name'
      : `wait for it to finish, or choose another --out or --name; if that process is gone, delete ${join(shown, LOCK_NAME)}`,
    'cannot train',
  );
}

/** Create the lock complete, or return false if one exists. Other errors (read-only folder) are thrown. */
function tryCreate(path: string, text: string): boolean {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode: 0o644 });
  try {
    linkSync(tmp, path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  } finally {
    try { unlinkSync(tmp); } catch { /* best effort */ }
  }
}

/** The lock's owner; null when the file cannot be parsed; undefined when it does not exist. */
function readOwner(path: string): LockOwner | null | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    return null;
  }
  try {
    const o = JSON.parse(text) as Partial<LockOwner>;
    if (Number.isInteger(o.pid) && typeof o.host === 'string') return { pid: o.pid!, host: o.host, since: String(o.since ?? '?') };
  } catch {
    /* not JSON */
  }
  return null;
}

/** Whether the owner may still be running: on this host, its pid exists; on another host we cannot know. */
function isLive(o: LockOwner): boolean {
  if (o.host !== hostname()) return true;
  if (o.pid === process.pid) return false; // a lock of ours left behind can only be stale
  try {
    process.kill(o.pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}

/** Replace the stale lock `held` by ours, unless another process did something with it meanwhile. */
function takeOver(path: string, text: string, held: LockOwner | null): boolean {
  const guard = `${path}.takeover`;
  if (!tryCreate(guard, text)) {
    const g = readOwner(guard);
    if (g && isLive(g)) return false; // someone else is taking over: the caller retries
    try { unlinkSync(guard); } catch { /* raced */ }
    return false;
  }
  try {
    // still the same stale lock? (it may have been taken over and released by someone else in between)
    const now = readOwner(path);
    if (now === undefined) return tryCreate(path, text);
    if (JSON.stringify(now) !== JSON.stringify(held)) return false;
    const aside = `${path}.stale.${process.pid}`;
    renameSync(path, aside);
    unlinkSync(aside);
    return tryCreate(path, text);
  } finally {
    try { unlinkSync(guard); } catch { /* best effort */ }
  }
}
