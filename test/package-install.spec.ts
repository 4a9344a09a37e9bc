import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const PACKAGE_DIR = resolve('packages/identity');

interface PackageJson {
  name: string;
  peerDependencies: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

/** What `npm pack --json` reports of a tarball. */
interface Packed {
  filename: string;
  files: { path: string }[];
}

/** The package's required peers as `name@range`: what a host already has, nothing more. */
function requiredPeers(manifest: PackageJson): string[] {
  return Object.entries(manifest.peerDependencies)
    .filter(([name]) => manifest.peerDependenciesMeta?.[name]?.optional !== true)
    .map(([name, range]) => `${name}@${range}`);
}

const npm = (args: string[], cwd: string) =>
  execFileSync('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });

/**
 * The identity package as another project gets it: the packed tarball (from the build
 * `npm test` makes), installed with the framework peers from the registry into an empty
 * directory outside this repository, then imported by a plain Node process there.
 */
describe('the packed @exchanger/identity', () => {
  let host: string;
  beforeAll(async () => {
    host = await mkdtemp(join(tmpdir(), 'identity-host-'));
  });
  afterAll(() => rm(host, { recursive: true, force: true }));

  it('holds only its build and manifest, installs outside the repository with only the framework peers, and exposes IdentityModule', async () => {
    const manifest = JSON.parse(
      await readFile(join(PACKAGE_DIR, 'package.json'), 'utf8'),
    ) as PackageJson;
    const [packed] = JSON.parse(
      npm(['pack', '-w', manifest.name, '--pack-destination', host, '--json'], resolve('.')),
    ) as Packed[];
    if (packed === undefined) throw new Error('npm pack reported no tarball');
    const paths = packed.files.map((file) => file.path);
    expect(paths).toContain('dist/index.js');
    expect(paths).toContain('dist/index.d.ts');
    expect(
      paths.filter((path) => !/^(dist\/.+\.(js|d\.ts)|package\.json|README\.md)$/.test(path)),
    ).toEqual([]);

    await writeFile(
      join(host, 'package.json'),
      JSON.stringify({ name: 'identity-host', private: true, type: 'module' }),
    );
    npm(['install', join(host, packed.filename), ...requiredPeers(manifest)], host);
    // Only what the package asks for: the API documentation library stays the host's choice.
    expect(existsSync(join(host, 'node_modules', '@nestjs', 'swagger'))).toBe(false);

    const loaded = execFileSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const identity = await import('${manifest.name}');
         console.log(JSON.stringify({
           from: import.meta.resolve('${manifest.name}'),
           identityModule: typeof identity.IdentityModule?.forRoot,
         }));`,
      ],
      { cwd: host, encoding: 'utf8' },
    );
    const { from, identityModule } = JSON.parse(loaded) as { from: string; identityModule: string };
    expect(new URL(from).pathname.startsWith(join(host, 'node_modules'))).toBe(true);
    expect(new URL(from).pathname.startsWith(resolve('.'))).toBe(false);
    expect(identityModule).toBe('function');
  }, 300_000);
});
