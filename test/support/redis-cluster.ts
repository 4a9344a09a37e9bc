import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient } from '@redis/client';
import { freePort } from './api-process.js';
import { untilRedis } from './redis-until.js';

/**
 * A real Redis Cluster on this machine's `redis-server`: three masters, no replicas, no
 * persistence, joined with `redis-cli --cluster create`. A master that is down takes only its
 * slots away (`cluster-require-full-coverage no`), as a production cluster would be set.
 */
export class RedisClusterSetup {
  private readonly processes = new Map<number, ChildProcess>();

  private constructor(
    private readonly dir: string,
    readonly ports: readonly number[],
  ) {}

  static async start(): Promise<RedisClusterSetup> {
    const ports = [await freePort(), await freePort(), await freePort()];
    const setup = new RedisClusterSetup(mkdtempSync(join(tmpdir(), 'exchanger-cluster-')), ports);
    for (const port of ports) setup.server(port);
    for (const port of ports)
      await untilRedis(port, async (client) => (await client.ping()) === 'PONG');
    execFileSync(
      'redis-cli',
      [
        '--cluster',
        'create',
        ...ports.map((port) => `127.0.0.1:${port}`),
        '--cluster-replicas',
        '0',
        '--cluster-yes',
      ],
      { stdio: 'ignore' },
    );
    await setup.healthy();
    return setup;
  }

  /** `host:port,…`, as REDIS_CLUSTER_NODES takes it. */
  get nodes(): string {
    return this.ports.map((port) => `127.0.0.1:${port}`).join(',');
  }

  /** The port of the master that holds `key`. */
  async masterOf(key: string): Promise<number> {
    const client = createClient({ socket: { port: this.ports[0], host: '127.0.0.1' } });
    await client.connect();
    try {
      const slot = Number(await client.sendCommand(['CLUSTER', 'KEYSLOT', key]));
      const ranges = await client.sendCommand<Array<[number, number, [string, number]]>>([
        'CLUSTER',
        'SLOTS',
      ]);
      const range = ranges.find(([from, to]) => slot >= Number(from) && slot <= Number(to));
      if (range === undefined) throw new Error(`no master holds slot ${slot}`);
      return Number(range[2][1]);
    } finally {
      await client.close();
    }
  }

  /** Reads a key on the master that holds it. */
  async read(key: string): Promise<string | null> {
    const port = await this.masterOf(key);
    const client = createClient({ socket: { port, host: '127.0.0.1' } });
    await client.connect();
    try {
      return await client.get(key);
    } finally {
      await client.close();
    }
  }

  /** Kills one master the hard way, as a crashed machine would leave it. */
  kill(port: number): void {
    this.processes.get(port)?.kill('SIGKILL');
  }

  /** Starts a killed master again: it rejoins with its slots (and none of its data). */
  async restart(port: number): Promise<void> {
    this.server(port);
    await this.healthy();
  }

  async stop(): Promise<void> {
    for (const child of this.processes.values()) child.kill('SIGKILL');
    await sleep(50);
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Every master answers and sees the cluster whole. */
  private async healthy(): Promise<void> {
    for (const port of this.ports) {
      await untilRedis(port, async (client) =>
        /cluster_state:ok/.test(await client.sendCommand<string>(['CLUSTER', 'INFO'])),
      );
    }
  }

  private server(port: number): void {
    const child = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        `nodes-${port}.conf`,
        '--cluster-node-timeout',
        '1000',
        '--cluster-require-full-coverage',
        'no',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        this.dir,
      ],
      { stdio: 'ignore' },
    );
    this.processes.set(port, child);
  }
}
