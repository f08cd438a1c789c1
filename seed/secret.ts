/**
 * The JWT signing secret of the reference API: generated once, stored beside the fixture with
 * mode 0600, gitignored, never printed.
 */
import * as fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import { PackError } from '../lib/errors';
import { writeFileAtomic } from '../lib/atomic';

export function ensureSecret(file: string): string {
  if (fs.existsSync(file)) return readSecret(file);
  const secret = randomBytes(48).toString('base64url');
  writeFileAtomic(file, secret, { mode: 0o600 });
  return secret;
}

export function readSecret(file: string): string {
  let secret: string;
  try {
    secret = fs.readFileSync(file, 'utf8').trim();
  } catch {
    throw new PackError('LT_FIXTURE_MISSING', `no JWT signing secret at ${file}`);
  }
  if (secret.length < 32) throw new PackError('LT_FIXTURE_INVALID', `the JWT signing secret in ${file} is too short`);
  return secret;
}
