import { Injectable } from '@nestjs/common';
import { hash, verify } from '@node-rs/argon2';

/** argon2id at the OWASP minimum (19 MiB, 2 passes, 1 lane); runs off the event loop. */
/** `algorithm: 2` is Argon2id (the package's enum is a const enum, unusable under isolatedModules). */
const OPTIONS = { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 };

@Injectable()
export class PasswordHasher {
  /** Verified against when the account does not exist, so that answer takes as long. */
  private readonly decoy = hash('decoy password, never matched', OPTIONS);

  hash(password: string): Promise<string> {
    return hash(password, OPTIONS);
  }

  /** Checks a password against a stored hash, or against the decoy when there is none. */
  async verify(storedHash: string | undefined, password: string): Promise<boolean> {
    const target = storedHash ?? (await this.decoy);
    const matches = await verify(target, password).catch(() => false);
    return storedHash !== undefined && matches;
  }
}
