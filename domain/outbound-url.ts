import type { LookupAddress } from 'node:dns';
import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/**
 * Where the product may send a tenant-given URL (a budget alert webhook), against server-side request
 * forgery (OWASP SSRF Prevention Cheat Sheet): https only, no credentials, and never an address inside
 * the operator's network: private, loopback, link-local (cloud metadata at 169.254.169.254), shared,
 * multicast, documentation, reserved. Checked twice: the URL when it is set (an IP literal), and every
 * address its host resolves to right before each call, the connection then pinned to a checked address
 * so a second DNS answer cannot point it elsewhere (DNS rebinding).
 */
export interface OutboundPolicy {
  /** OUTBOUND_WEBHOOKS_ALLOW_PRIVATE: also http:// and private addresses, for local development and tests. */
  allowPrivate: boolean;
}

/**
 * IANA's IPv4 and IPv6 Special-Purpose Address Registries (RFC 6890 and updates) that are not globally
 * reachable, plus multicast, 6to4, NAT64 and IPv4-compatible IPv6 (they carry an IPv4 address that could
 * be any of the above). BlockList checks an IPv4-mapped IPv6 address (::ffff:a.b.c.d) against the IPv4 rules.
 */
const NOT_PUBLIC = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.88.99.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15],
  ['198.51.100.0', 24], ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) NOT_PUBLIC.addSubnet(network, prefix, 'ipv4');
for (const [network, prefix] of [
  ['::', 96], ['64:ff9b::', 96], ['64:ff9b:1::', 48], ['100::', 64], ['2001::', 23], ['2001:db8::', 32],
  ['2002::', 16], ['fc00::', 7], ['fe80::', 10], ['fec0::', 10], ['ff00::', 8],
] as const) NOT_PUBLIC.addSubnet(network, prefix, 'ipv6');

/** Whether an IPv4 or IPv6 address (no brackets) is one the product may connect to for a tenant. */
export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  return family !== 0 && !NOT_PUBLIC.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/** The URL's host without IPv6 brackets (WHATWG URL has already normalised 2130706433 or 0x7f.1 to 127.0.0.1). */
const hostOf = (url: URL) => url.hostname.replace(/^\[(.*)\]$/, '$1');

/**
 * Why the URL may not be called, or null when it may: not https (http too when allowed), user or
 * password in it, or a host that is an IP literal outside public unicast. Hostnames are checked when
 * called (resolveOutbound). Without I/O, for the API to refuse at once.
 */
export function outboundUrlRefusal(value: string, policy: OutboundPolicy): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'is not a URL';
  }
  if (url.protocol !== 'https:' && !(policy.allowPrivate && url.protocol === 'http:')) {
    return policy.allowPrivate ? 'must be an http or https URL' : 'must be an https URL';
  }
  if (url.username || url.password) return 'must not carry a user name or password';
  const host = hostOf(url);
  if (!policy.allowPrivate && isIP(host) && !isPublicAddress(host)) return `must not point at a private, loopback, link-local or reserved address (${host})`;
  return null;
}

/** A URL refused by the policy; delivery records it and does not retry. */
export class OutboundRefused extends Error {
  override name = 'OutboundRefused';
}

/**
 * The address to connect to for the URL: its host resolved (every A and AAAA answer, as the system
 * resolver gives them) and refused with OutboundRefused when the URL fails outboundUrlRefusal or any
 * answer is not public. DNS errors pass through (retryable: a name may resolve later).
 */
export async function resolveOutbound(value: string, policy: OutboundPolicy): Promise<LookupAddress> {
  const refusal = outboundUrlRefusal(value, policy);
  if (refusal) throw new OutboundRefused(`the URL ${refusal}`);
  const host = hostOf(new URL(value));
  const addresses = isIP(host) ? [{ address: host, family: isIP(host) }] : await lookup(host, { all: true, verbatim: true });
  const refused = policy.allowPrivate ? undefined : addresses.find(({ address }) => !isPublicAddress(address));
  if (refused) throw new OutboundRefused(`the URL's host ${host} resolves to ${refused.address}, a private, loopback, link-local or reserved address`);
  return addresses[0];
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for node:http(s) request options that answers only the checked address, whatever name is
 * asked, so the connection goes where resolveOutbound looked (TLS still verifies the URL's host name).
 */
export function pinnedLookup(checked: LookupAddress) {
  return (_hostname: string, options: { all?: boolean }, callback: LookupCallback) => {
    if (options.all) callback(null, [checked]);
    else callback(null, checked.address, checked.family);
  };
}
