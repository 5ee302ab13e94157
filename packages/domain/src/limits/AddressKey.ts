/**
 * The key a per-address limit counts a client under. An IPv4 address is its own key. An IPv6
 * address counts by its /64 prefix (`2001:db8:0:1::/64`): a subscriber is usually given a whole
 * /64 and may use any address in it, so counting single IPv6 addresses would hand one attacker
 * 2^64 fresh "addresses". IPv4-mapped IPv6 (`::ffff:1.2.3.4`) counts as the IPv4 address.
 * Anything that is not an IP address (the HTTP adapter's "unknown") is its own key, lower-cased.
 */
export const addressKey = (address: string): string => {
  const text = address.trim().toLowerCase()
  if (!text.includes(":")) return text
  const hextets = ipv6Hextets(text)
  if (hextets === undefined) return text
  if (isIpv4Mapped(hextets)) return ipv4Text(hextets[6] ?? 0, hextets[7] ?? 0)
  return prefix64(hextets)
}

const HEXTET = /^[0-9a-f]{1,4}$/
const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/

/** The 8 groups of an IPv6 address in any RFC 4291 spelling (`::`, an IPv4 tail, a zone), or undefined. */
const ipv6Hextets = (text: string): ReadonlyArray<number> | undefined => {
  // A zone (`fe80::1%eth0`) names the server's own interface, not part of the client's address.
  const [address = ""] = text.split("%", 1)
  const halves = address.split("::")
  if (halves.length > 2) return undefined
  const [head = "", tail] = halves
  const groups = (half: string) => (half === "" ? [] : half.split(":"))
  const headGroups = groups(head)
  const tailGroups = tail === undefined ? [] : groups(tail)
  const last = tail === undefined ? headGroups : tailGroups
  // An IPv4 tail (`::ffff:1.2.3.4`, `64:ff9b::192.0.2.1`) stands for the last two groups.
  const ipv4Tail = last.at(-1)?.includes(".") === true ? last.pop() : undefined
  const tailHextets = ipv4Tail === undefined ? [] : ipv4Hextets(ipv4Tail)
  if (tailHextets === undefined) return undefined
  if (![...headGroups, ...tailGroups].every((group) => HEXTET.test(group))) return undefined
  const parsed = (half: ReadonlyArray<string>) => half.map((group) => Number.parseInt(group, 16))
  const explicit = headGroups.length + tailGroups.length + tailHextets.length
  if (tail === undefined) return explicit === 8 ? [...parsed(headGroups), ...tailHextets] : undefined
  // `::` stands for one or more zero groups.
  if (explicit > 7) return undefined
  const zeros = new Array<number>(8 - explicit).fill(0)
  return [...parsed(headGroups), ...zeros, ...parsed(tailGroups), ...tailHextets]
}

const ipv4Hextets = (text: string): ReadonlyArray<number> | undefined => {
  const match = IPV4.exec(text)
  if (match === null) return undefined
  const octets = match.slice(1).map(Number)
  if (octets.some((octet) => octet > 255)) return undefined
  const [a = 0, b = 0, c = 0, d = 0] = octets
  return [(a << 8) | b, (c << 8) | d]
}

const isIpv4Mapped = (hextets: ReadonlyArray<number>) =>
  hextets.slice(0, 5).every((hextet) => hextet === 0) && hextets[5] === 0xffff

const ipv4Text = (high: number, low: number) => `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`

/**
 * The /64 in RFC 5952 form: the last four groups are zero, so the longest run of zeros, the one
 * `::` replaces, is always theirs together with any zero groups just before them.
 */
const prefix64 = (hextets: ReadonlyArray<number>) => {
  const network = hextets.slice(0, 4)
  while (network.at(-1) === 0) network.pop()
  return `${network.map((hextet) => hextet.toString(16)).join(":")}::/64`
}
