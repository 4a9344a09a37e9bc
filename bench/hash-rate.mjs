// argon2id hashes per second on this machine with the API's parameters, CONCURRENCY hashes
// in flight at once (on libuv's pool, as in the API). Prints one JSON line. Started by bench/run.mjs.
import { hash } from '@node-rs/argon2';
import { performance } from 'node:perf_hooks';

/** Exactly the API's parameters (packages/identity/src/identity/password-hasher.ts); 2 is Argon2id. */
const OPTIONS = { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 };
const SECONDS = Number(process.env.HASH_SECONDS);
const CONCURRENCY = Number(process.env.HASH_CONCURRENCY);

const started = performance.now();
const deadline = started + SECONDS * 1000;
let hashes = 0;
async function worker() {
  while (performance.now() < deadline) {
    await hash('bench password 1', OPTIONS);
    hashes++;
  }
}
await Promise.all(Array.from({ length: CONCURRENCY }, worker));
const seconds = (performance.now() - started) / 1000;
process.stdout.write(`${JSON.stringify({ hashes, seconds })}\n`);
