import ipaddr from 'ipaddr.js';

/**
 * The address a client is counted under for throttling: an IPv4 address as it is, an
 * IPv6 address by its /64 (one customer network; a host picks freely inside it), an
 * IPv4-mapped IPv6 address as the IPv4 one. Anything unparsable counts as one bucket.
 */
export function throttlingGroup(address: string | null): string {
  if (address === null || !ipaddr.isValid(address)) return 'unknown';
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6') {
    const v6 = parsed as ipaddr.IPv6;
    if (!v6.isIPv4MappedAddress())
      return `${v6.toNormalizedString().split(':').slice(0, 4).join(':')}::/64`;
    parsed = v6.toIPv4Address();
  }
  return parsed.toString();
}

/** The address itself when it is one (stored in `inet` columns), else null: never a forged string. */
export function validAddress(address: string | undefined): string | null {
  if (address === undefined || !ipaddr.isValid(address)) return null;
  const parsed = ipaddr.parse(address);
  return parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()
    ? (parsed as ipaddr.IPv6).toIPv4Address().toString()
    : parsed.toString();
}
