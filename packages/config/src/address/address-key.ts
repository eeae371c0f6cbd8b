import ipaddr from 'ipaddr.js';

/**
 * The key per-address limits and flags count against: an IPv4 address as it is (IPv4-mapped
 * IPv6 unwrapped), an IPv6 address by its /64. One subscriber usually holds a whole /64, so
 * keying on the full address would hand every client 2⁶⁴ fresh identities.
 */
export function addressKey(address: string): string {
  if (!ipaddr.isValid(address)) return address;
  const parsed = ipaddr.process(address);
  if (parsed.kind() === 'ipv4') return parsed.toString();
  const parts = (parsed as ipaddr.IPv6).parts.slice(0, 4).map((part) => part.toString(16));
  return `${parts.join(':')}::/64`;
}
