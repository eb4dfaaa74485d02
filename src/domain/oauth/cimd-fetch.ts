import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { rootCertificates } from 'node:tls';

/**
 * Client ID metadata documents (a `client_id` that is an https URL, fetched by the authorization server)
 * are fetched under SSRF guards:
 * - `allowFetch`: an https URL whose host is a public name or address; every address the name resolves
 *   to must be public (no private, loopback, link-local, CGNAT, multicast or reserved range);
 * - oidc-provider's own dispatcher then refuses a connection to a special-use address (what a DNS answer
 *   changed between our check and the connection would reach), with a 2.5 s timeout, no redirects and a
 *   body limit (CIMD_MAX_BYTES); documents are cached (LRU) for their max-age, within CIMD_CACHE_SECONDS.
 * The test-only override (`loopbackCa`, OAUTH_CIMD_TEST_LOOPBACK_CA_FILE) allows loopback https servers
 * whose certificate that CA issued, and nothing else private.
 */

export const CIMD_MAX_BYTES = 5 * 1024;
export const CIMD_CACHE_SECONDS = { min: 300, max: 86_400 } as const;

const forbidden = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  forbidden.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b::', 96],
  ['64:ff9b:1::', 48],
  ['100::', 64],
  ['2001::', 23],
  ['2001:db8::', 32],
  ['2002::', 16],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
] as const) {
  forbidden.addSubnet(network, prefix, 'ipv6');
}

const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');

/** An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is judged as its IPv4 address. */
function unmapped(address: string): { address: string; family: 'ipv4' | 'ipv6' } {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return { address: mapped[1]!, family: 'ipv4' };
  return { address, family: isIP(address) === 6 ? 'ipv6' : 'ipv4' };
}

/** True when a connection to this address must not be made for a client's metadata document. */
export function isForbiddenAddress(raw: string, allowLoopback = false): boolean {
  const { address, family } = unmapped(raw);
  if (allowLoopback && loopback.check(address, family)) return false;
  return forbidden.check(address, family);
}

export interface CimdFetchPolicy {
  /** Test only: a CA (PEM) whose certificates loopback https servers may present. */
  loopbackCa?: string;
  /** Name resolution (tests may replace it); default: the system resolver. */
  resolve?: (hostname: string) => Promise<string[]>;
}

type FetchOptions = Omit<RequestInit, 'dispatcher'> & { dispatcher?: unknown };
type FetchInit = Parameters<typeof globalThis.fetch>[1];

const systemResolve = async (hostname: string) =>
  (await lookup(hostname, { all: true, verbatim: true })).map((entry) => entry.address);

/** The `allowFetch` and `fetch` functions of oidc-provider's clientIdMetadataDocument configuration. */
export function createCimdFetchGuard(policy: CimdFetchPolicy = {}) {
  const allowLoopback = policy.loopbackCa !== undefined;
  const resolve = policy.resolve ?? systemResolve;
  let loopbackDispatcher: unknown;

  return {
    async allowFetch(url: string): Promise<boolean> {
      const parsed = URL.parse(url);
      if (!parsed || parsed.protocol !== 'https:' || parsed.port === '0') return false;
      const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
      if (isIP(host)) return !isForbiddenAddress(host, allowLoopback);
      if (!allowLoopback && (host === 'localhost' || host.endsWith('.localhost'))) return false;
      let addresses: string[];
      try {
        addresses = await resolve(host);
      } catch {
        return false;
      }
      return (
        addresses.length > 0 && addresses.every((address) => !isForbiddenAddress(address, allowLoopback))
      );
    },

    fetch(url: string | URL, options: FetchOptions): Promise<Response> {
      if (allowLoopback) {
        // Our own dispatcher instead of the library's (which refuses loopback), trusting the test CA.
        loopbackDispatcher ??= createDispatcher({
          connect: { ca: [...rootCertificates, policy.loopbackCa!] },
        });
        options.dispatcher = loopbackDispatcher;
      }
      return globalThis.fetch(url, options as FetchInit);
    },
  };
}

/** An undici Agent (the class behind Node's fetch, as oidc-provider finds it) with options. */
function createDispatcher(options: Record<string, unknown>): unknown {
  void Response; // loads Node's fetch implementation, which installs its global dispatcher
  const global = globalThis as Record<symbol, unknown>;
  const dispatcher =
    global[Symbol.for('undici.globalDispatcher.2')] ?? global[Symbol.for('undici.globalDispatcher.1')];
  const Agent = (dispatcher as { constructor: new (options: Record<string, unknown>) => unknown })
    .constructor;
  return new Agent(options);
}
