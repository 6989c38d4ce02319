/**
 * Which API server addresses a target binding may name. A credential sent to a link-local or
 * cloud metadata address reaches the machine Plumbline runs on (or its cloud's instance
 * metadata service, which hands out that machine's own cloud credentials), never a cluster;
 * user names and passwords in a URL end up in logs and `Authorization` headers. Both are
 * refused, the first unless the operator explicitly allows it for a binding.
 *
 * Host names are judged as written: the WHATWG URL parser already turns `0xa9fea9fe`,
 * `0251.0376.0251.0376` and `[::ffff:169.254.169.254]` into their canonical forms, which is
 * what is checked. Names that merely resolve to such an address are the operator's DNS;
 * the Node transport also refuses to connect to a link-local address it resolves
 * (`functions/node/kube-transport.ts`).
 */

/** Why a server URL is refused, or `undefined` when it is fine. */
export type ServerAddressProblem =
  | { kind: 'not-url' | 'not-https' | 'userinfo' | 'query' }
  | { kind: 'link-local'; host: string };

/** Host names of cloud instance metadata services (GCP, AWS, Azure, Alibaba, Oracle...). */
const METADATA_HOST_NAMES = new Set([
  'metadata',
  'metadata.google.internal',
  'metadata.goog',
  'instance-data',
  'instance-data.ec2.internal',
  'metadata.azure.internal',
  'metadata.tencentyun.com',
]);

/** IPv4 metadata addresses outside 169.254.0.0/16 (Alibaba Cloud, Oracle Cloud legacy). */
const METADATA_IPV4 = new Set(['100.100.100.200', '192.0.0.192']);

/** The four octets of a canonical dotted IPv4 address, or `undefined`. */
function ipv4Octets(host: string): number[] | undefined {
  const parts = host.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p))) return undefined;
  const octets = parts.map(Number);
  return octets.every((o) => o <= 255) ? octets : undefined;
}

/** The eight 16-bit groups of an IPv6 address (without brackets), or `undefined`. */
export function ipv6Groups(address: string): number[] | undefined {
  let text = address.toLowerCase();
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  // A trailing dotted IPv4 part (`::ffff:1.2.3.4`) is two groups.
  const dotted = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const octets = ipv4Octets(dotted[2] as string);
    if (!octets) return undefined;
    const [a, b, c, d] = octets as [number, number, number, number];
    text = `${dotted[1]}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const parse = (part: string) => (part === '' ? [] : part.split(':'));
  const head = parse(halves[0] as string);
  const tail = halves.length === 2 ? parse(halves[1] as string) : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const groups = [...head, ...Array(halves.length === 2 ? missing : 0).fill('0'), ...tail];
  if (!groups.every((g) => /^[0-9a-f]{1,4}$/.test(g))) return undefined;
  return groups.map((g) => Number.parseInt(g, 16));
}

/** True for IPv4 169.254.0.0/16 and the metadata addresses listed above. */
function isLinkLocalIpv4(octets: readonly number[]): boolean {
  return (octets[0] === 169 && octets[1] === 254) || METADATA_IPV4.has(octets.join('.'));
}

/**
 * True when `address` (an IP literal, IPv6 without brackets) is link-local or a cloud
 * metadata address: 169.254.0.0/16, fe80::/10, AWS's fd00:ec2::254, and IPv4-mapped or
 * IPv4-compatible forms of the IPv4 ones.
 */
export function isLinkLocalAddress(address: string): boolean {
  const v4 = ipv4Octets(address);
  if (v4) return isLinkLocalIpv4(v4);
  const groups = ipv6Groups(address);
  if (!groups) return false;
  const g = groups as [number, number, number, number, number, number, number, number];
  if ((g[0] & 0xffc0) === 0xfe80) return true;
  if (g[0] === 0xfd00 && g[1] === 0x0ec2 && g.slice(2, 7).every((x) => x === 0) && g[7] === 0x254)
    return true;
  // ::ffff:a.b.c.d (mapped) and ::a.b.c.d (compatible) carry an IPv4 address in the low bits.
  const mapped = g.slice(0, 5).every((x) => x === 0) && (g[5] === 0xffff || g[5] === 0);
  if (mapped) return isLinkLocalIpv4([g[6] >> 8, g[6] & 0xff, g[7] >> 8, g[7] & 0xff]);
  return false;
}

/** True when `host` (a URL's hostname, IPv6 in brackets) names a link-local or metadata host. */
export function isLinkLocalHost(host: string): boolean {
  const name = host.toLowerCase().replace(/\.$/, '');
  if (METADATA_HOST_NAMES.has(name)) return true;
  const literal = name.startsWith('[') && name.endsWith(']') ? name.slice(1, -1) : name;
  return isLinkLocalAddress(literal);
}

/** Checks an API server URL; `allowLinkLocal` is the operator's explicit exception. */
export function serverAddressProblem(
  value: string,
  allowLinkLocal = false,
): ServerAddressProblem | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return { kind: 'not-url' };
  }
  if (url.protocol !== 'https:') return { kind: 'not-https' };
  if (url.username !== '' || url.password !== '') return { kind: 'userinfo' };
  if (url.search !== '' || url.hash !== '') return { kind: 'query' };
  if (!allowLinkLocal && isLinkLocalHost(url.hostname)) {
    return { kind: 'link-local', host: url.hostname };
  }
  return undefined;
}

/** What to tell the operator about a refused server URL (never the URL: it may hold a password). */
export function describeServerAddressProblem(problem: ServerAddressProblem): string {
  switch (problem.kind) {
    case 'not-url':
    case 'not-https':
      return "must be an https:// URL of the Kubernetes API server (e.g. 'https://k8s.example.com:6443')";
    case 'userinfo':
      return "must not contain a user name or password (https://user:pass@...); put the credential in the binding's credentials, which name a runtime secret";
    case 'query':
      return 'must not carry a query string or fragment; write the API server base URL';
    case 'link-local':
      return `names the link-local or cloud metadata address ${problem.host}, which reaches this machine's metadata service, not a cluster; set allowLinkLocal: true on this binding only if the API server really is there`;
  }
}
