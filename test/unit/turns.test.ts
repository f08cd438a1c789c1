import * as net from 'node:net';
import { TurnQueue } from '../../plugin/src/turns';

/** A scheduler that books turns, run by the test one at a time. */
function manualTurns(): { schedule: (fn: () => void) => void; booked: (() => void)[]; turn: () => void } {
  const booked: (() => void)[] = [];
  return { schedule: (fn) => void booked.push(fn), booked, turn: () => booked.shift()!() };
}

describe('TurnQueue (response-first scheduling)', () => {
  it('runs deferred functions first in, first out, one per turn, and books a turn only while some wait', () => {
    const t = manualTurns();
    const q = new TurnQueue(t.schedule);
    const ran: string[] = [];
    q.defer(() => ran.push('a'));
    q.defer(() => ran.push('b'));
    q.defer(() => ran.push('c'));
    expect(ran).toEqual([]);
    expect(t.booked).toHaveLength(1);
    t.turn();
    expect(ran).toEqual(['a']);
    expect(q.pending).toBe(2);
    t.turn();
    t.turn();
    expect(ran).toEqual(['a', 'b', 'c']);
    expect(q.pending).toBe(0);
    expect(t.booked).toHaveLength(0);
    // A function deferred after the queue ran dry books a new turn.
    q.defer(() => ran.push('d'));
    expect(t.booked).toHaveLength(1);
    t.turn();
    expect(ran).toEqual(['a', 'b', 'c', 'd']);
  });

  it('a function that throws stops nothing: the next one keeps its turn', () => {
    const t = manualTurns();
    const q = new TurnQueue(t.schedule);
    const ran: string[] = [];
    q.defer(() => {
      throw new Error('boom');
    });
    q.defer(() => ran.push('after'));
    expect(() => t.turn()).toThrow('boom');
    t.turn();
    expect(ran).toEqual(['after']);
  });

  it('keeps order over many functions (its storage is compacted as it goes)', () => {
    const t = manualTurns();
    const q = new TurnQueue(t.schedule);
    const ran: number[] = [];
    for (let i = 0; i < 5000; i++) q.defer(() => ran.push(i));
    while (t.booked.length > 0) {
      t.turn();
      if (ran.length === 2500) for (let i = 5000; i < 6000; i++) q.defer(() => ran.push(i));
    }
    expect(ran).toEqual(Array.from({ length: 6000 }, (_, i) => i));
  });

  // What the queue is for: data that reaches a socket while deferred work waits is read before
  // that work runs. Negative control: deferring each function with its own setImmediate (all in
  // the same turn) reads the data only after all of them.
  async function order(defer: (q: TurnQueue, fn: () => void) => void): Promise<string[]> {
    const seen: string[] = [];
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    const accepted = new Promise<net.Socket>((r) => server.once('connection', r));
    const client = net.connect(port, '127.0.0.1');
    await new Promise<void>((r) => client.once('connect', () => r()));
    const peer = await accepted;
    const got = new Promise<void>((r) =>
      client.on('data', () => {
        seen.push('data');
        r();
      }),
    );
    const q = new TurnQueue();
    await new Promise<void>((done) => {
      defer(q, () => {
        seen.push('first');
        peer.write('answer'); // reaches the client's socket at once (loopback)
      });
      defer(q, () => seen.push('second'));
      defer(q, () => {
        seen.push('third');
        done();
      });
    });
    await got;
    client.destroy();
    peer.destroy();
    await new Promise<void>((r) => server.close(() => r()));
    return seen;
  }

  it('lets the event loop read a socket between two deferred functions (negative control: setImmediate for each)', async () => {
    expect(await order((q, fn) => q.defer(fn))).toEqual(['first', 'data', 'second', 'third']);
    expect(await order((_q, fn) => void setImmediate(fn))).toEqual(['first', 'second', 'third', 'data']);
  });
});
