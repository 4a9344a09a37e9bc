import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient } from '@redis/client';
import { freePort } from './api-process.js';
import { untilRedis } from './redis-until.js';

/**
 * A real Sentinel setup on this machine's `redis-server`: a master, one replica and one
 * sentinel (quorum 1, failure noticed after 500 ms), no persistence.
 */
export class RedisSentinelSetup {
  readonly masterName = 'exchanger-test';
  private readonly processes = new Map<number, ChildProcess>();

  private constructor(
    private readonly dir: string,
    readonly masterPort: number,
    readonly replicaPort: number,
    readonly sentinelPort: number,
  ) {}

  static async start(): Promise<RedisSentinelSetup> {
    const setup = new RedisSentinelSetup(
      mkdtempSync(join(tmpdir(), 'exchanger-sentinel-')),
      await freePort(),
      await freePort(),
      await freePort(),
    );
    setup.server(setup.masterPort, []);
    setup.server(setup.replicaPort, ['--replicaof', '127.0.0.1', String(setup.masterPort)]);
    await setup.replicated(setup.masterPort);
    const config = join(setup.dir, 'sentinel.conf');
    writeFileSync(
      config,
      [
        `port ${setup.sentinelPort}`,
        'bind 127.0.0.1',
        `sentinel monitor ${setup.masterName} 127.0.0.1 ${setup.masterPort} 1`,
        `sentinel down-after-milliseconds ${setup.masterName} 500`,
        `sentinel failover-timeout ${setup.masterName} 2000`,
        '',
      ].join('\n'),
    );
    setup.spawn(setup.sentinelPort, [config, '--sentinel']);
    await untilRedis(setup.sentinelPort, async (client) =>
      /slaves=1/.test(await client.info('sentinel')),
    );
    return setup;
  }

  /** `host:port` of the sentinel, as REDIS_SENTINELS takes it. */
  get sentinels(): string {
    return `127.0.0.1:${this.sentinelPort}`;
  }

  /** Kills the master the hard way, as a crashed machine would leave it. */
  killMaster(): void {
    this.processes.get(this.masterPort)?.kill('SIGKILL');
  }

  /**
   * Starts the killed master again as a replica of the new one (what the sentinel would
   * make of it too, on its next look at it, up to ten seconds later).
   */
  restartOldMaster(): void {
    this.server(this.masterPort, ['--replicaof', '127.0.0.1', String(this.replicaPort)]);
  }

  /** Waits until the master on `port` has a replica in sync. */
  async replicated(port = this.replicaPort): Promise<void> {
    await untilRedis(port, async (client) =>
      /slave0:.*state=online/.test(await client.info('replication')),
    );
  }

  /** Waits until the sentinel names the replica as the master. */
  async failedOver(): Promise<void> {
    await untilRedis(this.sentinelPort, async (client) => {
      const reply = await client.sendCommand([
        'SENTINEL',
        'GET-MASTER-ADDR-BY-NAME',
        this.masterName,
      ]);
      return Array.isArray(reply) && String(reply[1]) === String(this.replicaPort);
    });
  }

  /** Reads a key on one server directly. */
  async read(port: number, key: string): Promise<string | null> {
    const client = createClient({ socket: { port, host: '127.0.0.1' } });
    await client.connect();
    try {
      return await client.get(key);
    } finally {
      await client.close();
    }
  }

  async stop(): Promise<void> {
    for (const child of this.processes.values()) child.kill('SIGKILL');
    await sleep(50);
    rmSync(this.dir, { recursive: true, force: true });
  }

  private server(port: number, extra: string[]): void {
    this.spawn(port, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', ...extra]);
  }

  private spawn(port: number, args: string[]): void {
    const child = spawn('redis-server', [...args, '--dir', this.dir], { stdio: 'ignore' });
    this.processes.set(port, child);
  }
}
