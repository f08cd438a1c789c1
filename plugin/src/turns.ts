/**
 * Response-first scheduling: a worker reads every answer that has arrived before it processes any.
 *
 * Artillery takes an answer's time to first byte (`http.response_time`) when its event loop reaches
 * that socket. Without this, the loop then runs everything that follows the answer at once, in the
 * same turn: the body, the hooks of every plugin (artillery-plugin-expect's contract, this
 * plugin's metrics and history), the virtual user's next step. A wave of 50 simultaneous answers
 * is read one after another at about 1 ms each, so the last answers carry the processing of the
 * ones before them: the client's time, not the API's.
 *
 * The plugin's first `afterResponse` hook hands the rest of each answer's processing to a
 * TurnQueue, which runs one of them per turn of the event loop. Between two, the loop polls its
 * sockets again, so an answer that arrived meanwhile is stamped before the queue goes on. Nothing
 * is dropped or reordered: the queue is first in, first out, and every answer is processed.
 */

/** Runs a function in a later turn of the event loop (setImmediate: after the next poll for I/O). */
export type Scheduler = (fn: () => void) => void;

export class TurnQueue {
  private items: (() => void)[] = [];
  private head = 0;
  private scheduled = false;

  constructor(private readonly schedule: Scheduler = (fn) => void setImmediate(fn)) {}

  /** Functions waiting for their turn. */
  get pending(): number {
    return this.items.length - this.head;
  }

  /** Runs `fn` in a later turn, after the functions deferred before it, one function per turn. */
  defer(fn: () => void): void {
    this.items.push(fn);
    if (!this.scheduled) {
      this.scheduled = true;
      this.schedule(this.runOne);
    }
  }

  private readonly runOne = (): void => {
    const fn = this.items[this.head]!;
    this.items[this.head++] = noop; // let it be collected
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
      this.scheduled = false;
    } else {
      if (this.head >= 1024 && this.head * 2 >= this.items.length) {
        this.items = this.items.slice(this.head);
        this.head = 0;
      }
      // The next turn is booked before `fn` runs, so a function that throws stops nothing else.
      this.schedule(this.runOne);
    }
    fn();
  };
}

function noop(): void {
  /* a slot already run */
}
