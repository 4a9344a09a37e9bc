import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';

/** A worker that dies after this long is replaced at once; one that dies sooner, more slowly. */
const HEALTHY_AFTER_MS = 30_000;
const MAX_RESPAWN_DELAY_MS = 30_000;

/**
 * The primary process when WORKERS > 1: forks the workers (each serves HTTP; node:cluster
 * shares the port between them), replaces a worker that dies after it was listening, and on
 * SIGINT/SIGTERM stops them all (SIGKILL after `deadlineMs`), then calls `afterStop` (the
 * embedded database). A worker that dies before it ever listened is a start-up failure:
 * everything stops. Resolves with the exit code.
 */
export function superviseWorkers(
  count: number,
  env: NodeJS.ProcessEnv,
  log: Logger,
  deadlineMs: number,
  afterStop: () => Promise<void>,
): Promise<number> {
  return new Promise((finish) => {
    const workers = new Set<Worker>();
    let stopping: { code: number } | undefined;
    let quickDeaths = 0;

    const stop = (code: number) => {
      if (stopping !== undefined) return;
      stopping = { code };
      if (workers.size === 0) void done();
      for (const worker of workers) worker.process.kill('SIGTERM');
      setTimeout(() => {
        for (const worker of workers) worker.process.kill('SIGKILL');
      }, deadlineMs).unref();
    };
    const done = async () => {
      await afterStop().catch((error: unknown) => log.error({ err: error }, 'Stop failed'));
      finish(stopping?.code ?? 0);
    };

    const fork = () => {
      const worker = cluster.fork(env);
      const bornAt = Date.now();
      let listening = false;
      workers.add(worker);
      worker.once('listening', () => (listening = true));
      worker.once('exit', (code, signal) => {
        workers.delete(worker);
        if (stopping !== undefined) {
          if (workers.size === 0) void done();
          return;
        }
        if (!listening) {
          log.fatal(`A worker failed to start (${signal ?? `exit ${code}`}); stopping`);
          stop(1);
          return;
        }
        quickDeaths = Date.now() - bornAt >= HEALTHY_AFTER_MS ? 0 : quickDeaths + 1;
        const delay =
          quickDeaths === 0 ? 0 : Math.min(1_000 * 2 ** (quickDeaths - 1), MAX_RESPAWN_DELAY_MS);
        log.error(`Worker ${worker.process.pid} died (${signal ?? `exit ${code}`}); replacing it`);
        setTimeout(() => {
          if (stopping === undefined) fork();
        }, delay);
      });
    };

    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => {
        log.info(`${signal} received, stopping ${workers.size} workers`);
        stop(0);
      });
    }
    for (let index = 0; index < count; index++) fork();
    log.info(`Serving with ${count} workers`);
  });
}
