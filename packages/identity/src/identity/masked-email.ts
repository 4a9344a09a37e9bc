/**
 * An email as shown to whoever holds a link code: `john.doe@example.com` → `j***@e***.com`.
 * Its owner recognises it; it tells anyone else too little to guess the address.
 */
export function maskedEmail(email: string): string {
  const at = email.lastIndexOf('@');
  const local = email.slice(0, Math.max(at, 0));
  const domain = email.slice(at + 1);
  const dot = domain.lastIndexOf('.');
  const host = dot > 0 ? domain.slice(0, dot) : domain;
  const topLevel = dot > 0 ? domain.slice(dot) : '';
  return `${local.slice(0, 1)}***@${host.slice(0, 1)}***${topLevel}`;
}
