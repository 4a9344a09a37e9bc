/**
 * `npm run examples`: each example app installs the identity package as another project
 * would, from the packed tarball, outside this repository (os.tmpdir()), then builds with
 * its own tsc and runs its own tests on PostgreSQL and Redis.
 *
 *   DATABASE_URL  the PostgreSQL server (its database part is replaced by each example's
 *                 own, created and dropped here); default postgres://postgres@127.0.0.1:5432
 *   REDIS_URL     the Redis database the examples share (each run uses keys of its own);
 *                 default redis://127.0.0.1:6379/1
 *   TEST_DATABASE_SUFFIX  lets runs share a server: exchanger_example_<name><suffix>_test
 *   KEEP_EXAMPLES=1       keep the temporary folder to look into
 *
 * Arguments name the examples to run (default: all). Exits non-zero if any step of any
 * example fails, with one line per failure.
 */
import { spawnSync } from 'node:child_process';
import { cp, mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import pg from 'pg';

const ROOT = resolve(import.meta.dirname, '..');
const PACKAGE = '@exchanger/identity';
const EXAMPLES = ['fastify-esm', 'express-cjs'];
/** Where every example's package.json expects the tarball: `file:../identity.tgz`. */
const TARBALL = 'identity.tgz';
/** A tarball holds the build and the manifest, nothing else (no sources, no build info). */
const PACKED_FILE = /^(dist\/.+\.(js|d\.ts)|package\.json|README\.md)$/;

const SERVER = new URL(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432');
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/1';
const SUFFIX = process.env.TEST_DATABASE_SUFFIX ?? '';
if (!/^[a-z0-9_]*$/.test(SUFFIX)) fail('TEST_DATABASE_SUFFIX: lower-case letters, digits, _');

class StepFailed extends Error {}

function fail(message) {
  console.error(`examples: FAILED: ${message}`);
  process.exit(1);
}

/** Runs a command, its output shown; throws naming the step if it does not succeed. */
function run(step, command, args, options) {
  console.log(`\nexamples: ${step}`);
  const result = spawnSync(command, args, {
    stdio: ['ignore', options.capture ? 'pipe' : 'inherit', 'inherit'],
    encoding: 'utf8',
    ...options,
    // The Node that runs this script (>= 24) runs every example too.
    env: { ...process.env, ...options.env, PATH: pathWithThisNode() },
  });
  if (result.status !== 0)
    throw new StepFailed(`${step} (exit ${result.status ?? result.signal ?? result.error})`);
  return result.stdout;
}

function pathWithThisNode() {
  return [dirname(process.execPath), process.env.PATH].join(delimiter);
}

const npm = (step, args, options) =>
  run(step, 'npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], options);

/** Builds the package and packs it into `folder`, checking what the tarball holds. */
async function pack(folder) {
  run('build the package', 'npm', ['run', 'build:identity', '--silent'], { cwd: ROOT });
  const [packed] = JSON.parse(
    npm('pack the package', ['pack', '-w', PACKAGE, '--pack-destination', folder, '--json'], {
      cwd: ROOT,
      capture: true,
    }),
  );
  const paths = packed.files.map((file) => file.path);
  const stray = paths.filter((path) => !PACKED_FILE.test(path));
  if (stray.length > 0) throw new StepFailed(`the tarball holds more than its build: ${stray}`);
  for (const path of ['dist/index.js', 'dist/index.d.ts'])
    if (!paths.includes(path)) throw new StepFailed(`the tarball lacks ${path}`);
  await rename(join(folder, packed.filename), join(folder, TARBALL));
}

/** An empty database of the example's own, for as long as `work` runs. */
async function withDatabase(example, work) {
  const name = `exchanger_example_${example.replaceAll('-', '_')}${SUFFIX}_test`;
  const admin = new pg.Client({ connectionString: new URL('/postgres', SERVER).href });
  await admin.connect();
  const drop = () =>
    admin.query(`DROP DATABASE IF EXISTS ${admin.escapeIdentifier(name)} WITH (FORCE)`);
  try {
    await drop();
    await admin.query(`CREATE DATABASE ${admin.escapeIdentifier(name)}`);
    await work(new URL(`/${name}`, SERVER).href);
  } finally {
    await drop();
    await admin.end();
  }
}

async function runExample(example, folder) {
  const app = join(folder, example);
  await cp(join(ROOT, 'examples', example), app, {
    recursive: true,
    filter: (source) => !/[/\\](node_modules|dist)$/.test(source),
  });
  // The npm cache serves what an earlier run fetched; the registry only what is new.
  npm(`${example}: install the tarball and its peers`, ['install', '--prefer-offline'], {
    cwd: app,
  });
  npm(`${example}: build with its own tsc`, ['run', 'build'], { cwd: app });
  await withDatabase(example, (databaseUrl) =>
    npm(`${example}: test`, ['test'], {
      cwd: app,
      env: { DATABASE_URL: databaseUrl, REDIS_URL },
    }),
  );
}

const chosen = process.argv.slice(2);
for (const name of chosen)
  if (!EXAMPLES.includes(name)) fail(`no example "${name}" (${EXAMPLES.join(', ')})`);
const folder = await mkdtemp(join(tmpdir(), 'identity-examples-'));
/** Every example runs even when another failed; each failure is one line at the end. */
const failures = [];
const failed = (subject, error) => {
  if (!(error instanceof StepFailed)) console.error(error);
  failures.push(error instanceof StepFailed ? error.message : `${subject}: see the error above`);
};
try {
  await pack(folder);
  for (const example of chosen.length > 0 ? chosen : EXAMPLES) {
    try {
      await runExample(example, folder);
      console.log(`\nexamples: ${example} passed`);
    } catch (error) {
      failed(example, error);
    }
  }
} catch (error) {
  failed('the package', error);
} finally {
  if (process.env.KEEP_EXAMPLES === '1') console.log(`examples: kept ${folder}`);
  else await rm(folder, { recursive: true, force: true });
}
for (const failure of failures) console.error(`examples: FAILED: ${failure}`);
if (failures.length > 0) process.exit(1);
console.log('\nexamples: all passed');
