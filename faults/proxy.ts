/**
 * A fault-injecting TCP proxy between the reference API and PostgreSQL, in the manner of
 * Toxiproxy's toxics, small enough to own (no maintained Node library does this in process):
 *
 * - `pass`: bytes flow both ways;
 * - `latency`: every chunk is held `ms` before it is forwarded, in both directions;
 * - `reset`: every open connection is reset (RST), and new ones are reset on arrival;
 * - `partition`: nothing flows and nothing is refused: bytes wait in the proxy, as packets that
 *   TCP keeps retransmitting would, and flow again, in order, when the partition heals. New
 *   connections are accepted and wait too.
 */
import * as net from 'node:net';

export type ProxyMode =
  { readonly kind: 'pass' } | { readonly kind: 'latency'; readonly ms: number } | { readonly kind: 'reset' } | { readonly kind: 'partition' };

interface Pair {
  readonly client: net.Socket;
  readonly server: net.Socket;
}

export class FaultProxy {
  private server: net.Server | null = null;
  private readonly pairs = new Set<Pair>();
  private mode: ProxyMode = { kind: 'pass' };
  /** Chunks held during a partition, per direction, released in order when it heals. */
  private held: { to: net.Socket; chunk: Buffer }[] = [];
  /** Connections made (for tests). */
  connections = 0;

  constructor(
    private readonly upstream: { host: string; port: number },
    private readonly listenPort = 0,
  ) {}

  async start(): Promise<number> {
    this.server = net.createServer((client) => this.accept(client));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.listenPort, '127.0.0.1', () => resolve());
    });
    return (this.server.address() as net.AddressInfo).port;
  }

  get port(): number {
    return (this.server?.address() as net.AddressInfo | null)?.port ?? 0;
  }

  set(mode: ProxyMode): void {
    const before = this.mode;
    this.mode = mode;
    if (mode.kind === 'reset') for (const p of [...this.pairs]) this.resetPair(p);
    if (before.kind === 'partition' && mode.kind !== 'partition') {
      const held = this.held;
      this.held = [];
      for (const h of held) if (!h.to.destroyed) h.to.write(h.chunk);
    }
  }

  private resetPair(p: Pair): void {
    this.pairs.delete(p);
    p.client.resetAndDestroy();
    p.server.resetAndDestroy();
  }

  private accept(client: net.Socket): void {
    this.connections++;
    if (this.mode.kind === 'reset') {
      client.resetAndDestroy();
      return;
    }
    const server = net.connect(this.upstream);
    const pair: Pair = { client, server };
    this.pairs.add(pair);
    const forward = (to: net.Socket) => (chunk: Buffer) => {
      const m = this.mode;
      if (m.kind === 'partition') this.held.push({ to, chunk });
      else if (m.kind === 'latency') setTimeout(() => !to.destroyed && to.write(chunk), m.ms).unref();
      else if (m.kind === 'pass') to.write(chunk);
    };
    client.on('data', forward(server));
    server.on('data', forward(client));
    const close = (): void => {
      this.pairs.delete(pair);
      client.destroy();
      server.destroy();
    };
    client.on('error', close);
    server.on('error', close);
    client.on('close', close);
    server.on('close', close);
  }

  async stop(): Promise<void> {
    for (const p of [...this.pairs]) {
      p.client.destroy();
      p.server.destroy();
    }
    this.pairs.clear();
    this.held = [];
    const s = this.server;
    this.server = null;
    if (s) await new Promise<void>((r) => s.close(() => r()));
  }
}
