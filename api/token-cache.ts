/**
 * Verified bearer tokens, remembered. A load test sends the same few tokens thousands of times (the
 * pack's fixture has a handful per organization); verifying one is an HMAC and two base64 and JSON
 * decodes, about a tenth of the reference API's CPU in scenario 1 (a CPU profile of the API,
 * CHANGELOG). A token that verified once is not verified again while it stays valid.
 *
 * What keeps this safe:
 * - the key is the whole token string: only the exact bytes that verified are taken, so a changed
 *   signature, header or claim is a different key and is verified in full;
 * - `exp` and `nbf` are checked again on every use, the way jsonwebtoken checks them (expired when
 *   now ≥ exp, not active while now < nbf, in whole seconds); a token past either is dropped and
 *   verified again, so it is refused with the same answer as before;
 * - the signing key never changes while the API runs, and a refused token is never remembered;
 * - at most `max` tokens are kept: the oldest goes first.
 */
export interface TimeClaims {
  readonly exp?: number;
  readonly nbf?: number;
}

interface Entry<P> {
  readonly principal: P;
  readonly exp: number | null;
  readonly nbf: number | null;
}

export class TokenCache<P> {
  private readonly entries = new Map<string, Entry<P>>();

  constructor(
    private readonly max: number,
    private readonly nowSeconds: () => number = () => Math.floor(Date.now() / 1000),
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** The principal of a token that verified before and is still within its exp and nbf; else undefined. */
  get(token: string): P | undefined {
    const e = this.entries.get(token);
    if (e === undefined) return undefined;
    const now = this.nowSeconds();
    if ((e.exp !== null && now >= e.exp) || (e.nbf !== null && now < e.nbf)) {
      this.entries.delete(token);
      return undefined;
    }
    return e.principal;
  }

  /** Remembers a token that has just verified, with its time claims. */
  set(token: string, principal: P, claims: TimeClaims): void {
    if (this.max <= 0) return;
    if (!this.entries.has(token) && this.entries.size >= this.max) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(token, {
      principal,
      exp: typeof claims.exp === 'number' ? claims.exp : null,
      nbf: typeof claims.nbf === 'number' ? claims.nbf : null,
    });
  }
}
