import { AppContext, CONTEXTS } from '../common/app-context.js';

/** Sessions and user caches of every context (SPEC §3): `identity:session:{ctx}:…`, `identity:user:{ctx}:…`. */
export const IDENTITY_NAMESPACE = 'identity';

/** An application's data cache: `cache:{ctx}:…`. */
export function cacheNamespace(context: AppContext): string {
  return CONTEXTS[context].cacheNamespace;
}
