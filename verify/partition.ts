/**
 * Key partitions on disk, so that reconciling a run of any length holds only one partition's
 * keys in memory: every line of the history and of the ledger goes to the file of its key's hash,
 * and a key's lines from both sides land in the same partition number.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { eachLine } from './lines';

/**
 * About this much history (bytes of NDJSON) per partition: 1.5 million keys or so (two lines of
 * about 170 bytes each), folded into columns (verify/key-store.ts) in about 300 MB of heap.
 * Histories up to this size are reconciled in one pass with no file written.
 */
export const PARTITION_BYTES = 512 * 1024 * 1024;

/** How many partitions a history of this many bytes needs (1: everything in memory, no files). */
export function partitionCount(historyBytes: number, perPartition = PARTITION_BYTES): number {
  return Math.max(1, Math.ceil(historyBytes / perPartition));
}

/** FNV-1a (32 bit) of the key, modulo n: the same key always lands in the same partition. */
export function partitionOf(key: string, n: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % n;
}

const FLUSH_AT = 1 << 20;

/** `count` append-only files `<name>-<p>.ndjson` in `dir`, written through per-partition buffers. */
export class Partitions {
  private readonly buffers: string[];
  private readonly fds: number[];

  constructor(
    private readonly dir: string,
    readonly count: number,
    private readonly name: string,
  ) {
    this.buffers = Array.from({ length: count }, () => '');
    this.fds = Array.from({ length: count }, (_, p) => fs.openSync(this.file(p), 'w'));
  }

  private file(p: number): string {
    return path.join(this.dir, `${this.name}-${p}.ndjson`);
  }

  write(key: string, line: string): void {
    const p = partitionOf(key, this.count);
    this.buffers[p] += `${line}\n`;
    if (this.buffers[p]!.length >= FLUSH_AT) this.flush(p);
  }

  private flush(p: number): void {
    if (this.buffers[p]!.length === 0) return;
    fs.writeSync(this.fds[p]!, this.buffers[p]!);
    this.buffers[p] = '';
  }

  close(): void {
    for (let p = 0; p < this.count; p++) {
      this.flush(p);
      fs.closeSync(this.fds[p]!);
    }
  }

  /** The lines of one partition, streamed. */
  eachLine(p: number, onLine: (line: string) => void): Promise<void> {
    return eachLine(this.file(p), (line) => {
      if (line) onLine(line);
    });
  }
}
