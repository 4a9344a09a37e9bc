import { execFileSync } from 'node:child_process';
import { appendFile, cp, mkdtemp, readdir, readFile, rm, stat, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** What `npm start` builds from: the sources and the build's configuration. */
const BUILD_INPUTS = [
  'src',
  'packages',
  'package.json',
  'tsconfig.json',
  'tsconfig.build.json',
  'nest-cli.json',
];

/** Modification time of every file of the build, by path. */
async function snapshot(dist: string): Promise<Map<string, number>> {
  const files = new Map<string, number>();
  for (const entry of await readdir(dist, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    files.set(path, (await stat(path)).mtimeMs);
  }
  return files;
}

describe('npm start', () => {
  // A copy of the checkout, so that changing a source cannot disturb other tests.
  let checkout: string;
  const dist = () => join(checkout, 'dist');
  /** What `npm start` runs before the API: the `prestart` script. */
  const prestart = () =>
    execFileSync('npm', ['run', '--silent', 'prestart'], { cwd: checkout, stdio: 'pipe' });

  beforeAll(async () => {
    checkout = await mkdtemp(join(tmpdir(), 'exchanger-build-'));
    for (const input of BUILD_INPUTS) await cp(input, join(checkout, input), { recursive: true });
    await symlink(resolve('node_modules'), join(checkout, 'node_modules'));
    prestart();
  }, 120_000);
  afterAll(() => rm(checkout, { recursive: true, force: true }));

  it('does not rebuild an unchanged tree', async () => {
    const before = await snapshot(dist());
    expect(before.has(join(dist(), 'main.js'))).toBe(true);
    prestart();
    expect(await snapshot(dist())).toEqual(before);
  }, 60_000);

  it('rebuilds what a changed source affects', async () => {
    const before = await snapshot(dist());
    const marker = `// changed ${Date.now()}`;
    await appendFile(join(checkout, 'src', 'main.ts'), `${marker}\n`);
    prestart();
    const after = await snapshot(dist());
    expect(await readFile(join(dist(), 'main.js'), 'utf8')).toContain(marker);
    expect(after.get(join(dist(), 'main.js'))).not.toBe(before.get(join(dist(), 'main.js')));
    // Nothing imports main.ts: the rest of the build stays as it was.
    const appFactory = join(dist(), 'app.factory.js');
    expect(after.get(appFactory)).toBe(before.get(appFactory));
  }, 120_000);
});
