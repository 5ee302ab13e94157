import { Either } from "effect"
import ipaddr from "ipaddr.js"

// Addresses and the proxies trusted to name the client. Free of the HTTP API: Settings (and so the
// CLI's configuration check) re-exports validateTrustedProxies from here.

/** An IP address as ipaddr.js reads it. */
export type IpAddress = ipaddr.IPv4 | ipaddr.IPv6

/** An address and how many of its leading bits a match needs: a CIDR range, or a single address (/32, /128). */
export type AddressRange = readonly [IpAddress, number]

/** The names proxy-addr (Express's `trust proxy`) gives common ranges, accepted here with the same meaning. */
const PROXY_SHORTHANDS: ReadonlyMap<string, ReadonlyArray<AddressRange>> = new Map(
  Object.entries({
    loopback: ["127.0.0.1/8", "::1/128"],
    linklocal: ["169.254.0.0/16", "fe80::/10"],
    uniquelocal: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"],
  }).map(([name, ranges]) => [name, ranges.map((range) => ipaddr.parseCIDR(range))]),
)

/**
 * An IP address, or undefined when `text` is not one. Strict where ipaddr.js is lenient: IPv4 only
 * as four decimal parts (`127.1`, `0x7f.0.0.1` and `2130706433` are refused, not read as
 * 127.0.0.1). IPv4-mapped IPv6 (`::ffff:1.2.3.4`) is the IPv4 address; an IPv6 zone
 * (`fe80::1%eth0`, the server's own interface) is dropped.
 */
export const parseIpAddress = (text: string): IpAddress | undefined => {
  if (ipaddr.IPv4.isValidFourPartDecimal(text)) return ipaddr.IPv4.parse(text)
  if (!ipaddr.IPv6.isValid(text)) return undefined
  const address = ipaddr.IPv6.parse(text)
  return address.isIPv4MappedAddress() ? address.toIPv4Address() : new ipaddr.IPv6(address.parts)
}

/** The canonical text of an address: IPv4 dotted decimal, IPv6 as RFC 5952 writes it (`2001:db8::1`). */
export const canonicalAddress = (address: IpAddress): string =>
  address instanceof ipaddr.IPv6 ? address.toRFC5952String() : address.toString()

const parseRange = (text: string): AddressRange | undefined => {
  if (ipaddr.IPv4.isValidCIDRFourPartDecimal(text)) return ipaddr.IPv4.parseCIDR(text)
  if (text.includes("/")) {
    if (!ipaddr.IPv6.isValidCIDR(text)) return undefined
    const [network, bits] = ipaddr.IPv6.parseCIDR(text)
    // A request's IPv4-mapped address is matched as IPv4, so an IPv4-mapped range becomes IPv4 too.
    if (network.isIPv4MappedAddress() && bits >= 96) return [network.toIPv4Address(), bits - 96]
    return [new ipaddr.IPv6(network.parts), bits]
  }
  const address = parseIpAddress(text)
  return address === undefined ? undefined : [address, address.kind() === "ipv4" ? 32 : 128]
}

/**
 * The ranges one `TRUSTED_PROXIES` entry stands for: an IP address, a CIDR range (`10.0.0.0/8`,
 * `fd00::/8`), or `loopback`, `linklocal`, `uniquelocal`; undefined when it is none of these.
 */
export const trustedProxyRanges = (entry: string): ReadonlyArray<AddressRange> | undefined => {
  const shorthand = PROXY_SHORTHANDS.get(entry)
  if (shorthand !== undefined) return shorthand
  const range = parseRange(entry)
  return range === undefined ? undefined : [range]
}

/**
 * The proxies whose `X-Forwarded-For` is believed, each trimmed, or which entries are not an IP
 * address, a CIDR range or one of the shorthands `loopback` (127.0.0.1/8, ::1),
 * `linklocal` (169.254.0.0/16, fe80::/10) and `uniquelocal` (10.0.0.0/8, 172.16.0.0/12,
 * 192.168.0.0/16, fc00::/7). A typo here would silently trust no one, or the wrong hosts.
 */
export const validateTrustedProxies = (list: ReadonlyArray<string>): Either.Either<ReadonlyArray<string>, string> => {
  const entries = list.map((entry) => entry.trim())
  const wrong = entries.filter((entry) => trustedProxyRanges(entry) === undefined)
  if (wrong.length > 0)
    return Either.left(
      `not an IP address, a CIDR range or one of loopback, linklocal, uniquelocal: ${wrong.map((e) => JSON.stringify(e)).join(", ")}`,
    )
  return Either.right(entries)
}
