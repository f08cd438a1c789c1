/**
 * The HS256 key as a KeyObject, made once. jsonwebtoken 9 turns a string secret into a key on
 * every sign and verify, and first tries it as a PEM public or private key: that attempt fails and
 * builds an Error each time. On the reference API it was a third of the CPU of scenario 1
 * (createPublicKey, 0.75 ms a request; CHANGELOG). A KeyObject skips both.
 */
import { KeyObject, createSecretKey } from 'node:crypto';

export function hmacKey(secret: string): KeyObject {
  return createSecretKey(Buffer.from(secret, 'utf8'));
}
