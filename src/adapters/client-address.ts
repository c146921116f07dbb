import type { IncomingHttpHeaders } from 'node:http';

/** IPv4 peers of a dual-stack socket arrive as ::ffff:a.b.c.d. */
export function plainAddress(address: string | undefined): string {
  return address?.startsWith('::ffff:') === true ? address.slice(7) : (address ?? '');
}

/** One X-Forwarded-For entry without the brackets or port some proxies add ("[2001:db8::1]:443", "192.0.2.7:5100"). */
function bareAddress(entry: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(entry);
  if (bracketed !== null) return bracketed[1]!;
  const v4WithPort = /^(\d+\.\d+\.\d+\.\d+):\d+$/.exec(entry);
  return plainAddress(v4WithPort !== null ? v4WithPort[1]! : entry);
}

function headerText(value: string | string[] | undefined): string {
  return Array.isArray(value) ? value.join(',') : (value ?? '');
}

/**
 * The client's address for the per-address failure gate. The TCP peer, unless the peer is one of
 * `trustedProxies`: then the X-Forwarded-For entry that the nearest trusted proxy added, found by
 * reading the list from the right and skipping trusted proxies (entries further left were written
 * by the client or untrusted hops and could be anything), or X-Real-IP when no X-Forwarded-For
 * came. A proxy that neither appends to X-Forwarded-For nor sets X-Real-IP leaves its own address.
 */
export function clientAddressOf(peerAddress: string | undefined, headers: IncomingHttpHeaders, trustedProxies: ReadonlySet<string>): string {
  const peer = plainAddress(peerAddress);
  if (!trustedProxies.has(peer)) return peer;
  const forwarded = headerText(headers['x-forwarded-for'])
    .split(',')
    .map((entry) => bareAddress(entry.trim()))
    .filter((entry) => entry !== '');
  for (let i = forwarded.length - 1; i >= 0; i -= 1) {
    if (!trustedProxies.has(forwarded[i]!)) return forwarded[i]!;
  }
  if (forwarded.length > 0) return forwarded[0]!;
  const real = bareAddress(headerText(headers['x-real-ip']).trim());
  return real !== '' ? real : peer;
}
