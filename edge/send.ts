/**
 * One HTTP/1.1 exchange over a raw socket: the bytes go out exactly as built (malformed ones
 * included, which an HTTP client library would refuse or repair), and the answer is read as it
 * comes: status, headers, body, or the connection closing without one.
 */
import * as net from 'node:net';
import * as tls from 'node:tls';

export interface RawAnswer {
  /** null: no status line came back before the connection closed or the time ran out. */
  readonly status: number | null;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** The connection was closed (or reset) without an answer. */
  readonly dropped: boolean;
  /** No answer within the time limit (the socket was then closed by us). */
  readonly timedOut: boolean;
  /** The socket error, when there was one (ECONNRESET, EPIPE, ECONNREFUSED, ...). */
  readonly error: string | null;
  readonly ms: number;
}

/** Pure: the status, headers and body of a whole HTTP/1.1 response in `bytes`, or null while it is incomplete. */
export function parseResponse(bytes: Buffer, closed: boolean): { status: number; headers: Record<string, string>; body: string } | null {
  const end = bytes.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const head = bytes.subarray(0, end).toString('latin1').split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(head[0] ?? '');
  if (!m) return null;
  const headers: Record<string, string> = {};
  for (const line of head.slice(1)) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  const rest = bytes.subarray(end + 4);
  if (m[1] === '204' || m[1] === '304') return { status: Number(m[1]), headers, body: '' };
  const length = headers['content-length'];
  if (length !== undefined) {
    const n = Number(length);
    if (rest.length < n) return closed ? { status: Number(m[1]), headers, body: rest.toString('utf8') } : null;
    return { status: Number(m[1]), headers, body: rest.subarray(0, n).toString('utf8') };
  }
  if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
    let body = '';
    let at = 0;
    for (;;) {
      const lineEnd = rest.indexOf('\r\n', at);
      if (lineEnd < 0) return closed ? { status: Number(m[1]), headers, body } : null;
      const size = parseInt(rest.subarray(at, lineEnd).toString('latin1'), 16);
      if (!Number.isFinite(size)) return { status: Number(m[1]), headers, body };
      if (size === 0) return { status: Number(m[1]), headers, body };
      if (rest.length < lineEnd + 2 + size) return closed ? { status: Number(m[1]), headers, body } : null;
      body += rest.subarray(lineEnd + 2, lineEnd + 2 + size).toString('utf8');
      at = lineEnd + 2 + size + 2;
    }
  }
  // No length: the body ends with the connection (or there is none, e.g. a bare 400 from the parser).
  return closed || headers.connection === 'close' ? { status: Number(m[1]), headers, body: rest.toString('utf8') } : null;
}

/**
 * Sends `request` (head and body already joined) to `target` and waits for the answer.
 * `halfClose`: end the writing side after the bytes (a client that sends nothing more).
 */
export function sendRaw(target: URL, request: Buffer, opts: { timeoutMs: number; halfClose?: boolean }): Promise<RawAnswer> {
  const started = performance.now();
  return new Promise((resolve) => {
    const port = Number(target.port || (target.protocol === 'https:' ? 443 : 80));
    const host = target.hostname;
    const socket: net.Socket =
      target.protocol === 'https:' ? tls.connect({ host, port, servername: host, rejectUnauthorized: false }) : net.connect({ host, port });
    const chunks: Buffer[] = [];
    let settled = false;
    let error: string | null = null;
    const finish = (closed: boolean, timedOut: boolean): void => {
      if (settled) return;
      const bytes = Buffer.concat(chunks);
      const parsed = parseResponse(bytes, true);
      if (!closed && !timedOut && !parsed) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({
        status: parsed?.status ?? null,
        headers: parsed?.headers ?? {},
        body: parsed?.body ?? '',
        dropped: !parsed && !timedOut,
        timedOut: !parsed && timedOut,
        error,
        ms: performance.now() - started,
      });
    };
    const timer = setTimeout(() => finish(false, true), opts.timeoutMs);
    socket.on('connect', () => {
      socket.write(request, (err) => {
        if (err) error ??= (err as NodeJS.ErrnoException).code ?? err.message;
      });
      if (opts.halfClose) socket.end();
    });
    socket.on('data', (d: Buffer) => {
      chunks.push(d);
      if (parseResponse(Buffer.concat(chunks), false)) finish(false, false);
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      error ??= err.code ?? err.message;
    });
    socket.on('close', () => finish(true, false));
  });
}
