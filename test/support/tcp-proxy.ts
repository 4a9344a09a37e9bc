import { createServer, type Server, Socket } from 'node:net';

/**
 * A TCP proxy in front of a real service, for outage tests: `cut()` drops every
 * connection and refuses new ones (the service is gone), `freeze()` keeps connections
 * open but forwards nothing (the service is stalled), `restore()` brings it back.
 */
export class TcpProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private mode: 'open' | 'cut' | 'frozen' = 'open';
  private readonly targetHost: string;
  private readonly targetPort: number;

  // Plain fields, no parameter properties: the benchmarks run this file with Node's type stripping.
  private constructor(targetHost: string, targetPort: number) {
    this.targetHost = targetHost;
    this.targetPort = targetPort;
  }

  static async start(target: string): Promise<TcpProxy> {
    const url = new URL(target);
    const proxy = new TcpProxy(url.hostname, Number(url.port));
    await proxy.listen();
    return proxy;
  }

  port = 0;

  /** The target URL rewritten to go through the proxy. */
  url(target: string): string {
    const url = new URL(target);
    url.host = `127.0.0.1:${this.port}`;
    return url.toString();
  }

  cut(): void {
    this.mode = 'cut';
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  freeze(): void {
    this.mode = 'frozen';
  }

  restore(): void {
    this.mode = 'open';
    for (const socket of this.sockets) socket.emit('restored');
  }

  async stop(): Promise<void> {
    this.cut();
    await new Promise((resolve) => this.server?.close(resolve));
  }

  private async listen(port = 0): Promise<void> {
    this.server = createServer((client) => this.accept(client));
    await new Promise<void>((resolve) => this.server?.listen(port, '127.0.0.1', resolve));
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error('no address');
    this.port = address.port;
  }

  private accept(client: Socket): void {
    if (this.mode === 'cut') {
      client.destroy();
      return;
    }
    const upstream = new Socket();
    upstream.connect(this.targetPort, this.targetHost);
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => {
        this.sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    this.pipe(client, upstream);
    this.pipe(upstream, client);
  }

  /** Forwards data, holding it back while frozen and releasing it on restore. */
  private pipe(from: Socket, to: Socket): void {
    const held: Buffer[] = [];
    from.on('data', (chunk: Buffer) => {
      if (this.mode === 'frozen') held.push(chunk);
      else to.write(chunk);
    });
    from.on('restored', () => {
      for (const chunk of held.splice(0)) to.write(chunk);
    });
  }
}
