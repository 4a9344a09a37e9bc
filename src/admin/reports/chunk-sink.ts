import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import type { EntityManager } from 'typeorm';

/** Bytes per stored chunk: big enough for few rows, small enough to hold one in memory. */
export const CHUNK_BYTES = 1024 * 1024;

/**
 * Writes a report's bytes into `report_chunks` as they come, a chunk at a time (the stream
 * waits for each insert: memory stays at about one chunk), and keeps the size and SHA-256.
 */
export class ChunkSink extends Writable {
  private readonly hash = createHash('sha256');
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private seq = 0;
  size = 0;

  constructor(
    private readonly manager: EntityManager,
    private readonly reportId: string,
  ) {
    super();
  }

  get checksum(): string {
    return this.hash.copy().digest('hex');
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void) {
    this.hash.update(chunk);
    this.size += chunk.length;
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes < CHUNK_BYTES) {
      done();
      return;
    }
    this.flush().then(() => done(), done);
  }

  override _final(done: (error?: Error | null) => void) {
    this.flush().then(() => done(), done);
  }

  private async flush(): Promise<void> {
    if (this.pendingBytes === 0) return;
    const data = Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    await this.manager.query(
      'INSERT INTO report_chunks (report_id, seq, data) VALUES ($1, $2, $3)',
      [this.reportId, this.seq++, data],
    );
  }
}
