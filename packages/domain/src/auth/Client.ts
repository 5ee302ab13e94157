/**
 * Who is on the other end of a request, as far as the service can tell: the client's address
 * (after the trusted proxies are peeled off, see the HTTP adapter's ClientAddress) and what its
 * `User-Agent` says. Limits count per address; sessions record both.
 */
export interface Client {
  /** An IPv4 or IPv6 address in its canonical text form (IPv4-mapped IPv6 as plain IPv4). */
  readonly address: string
  readonly userAgent: string | null
}

/** A client known by address alone: what a test, a script or the CLI passes. */
export const clientAt = (address: string, userAgent: string | null = null): Client => ({ address, userAgent })
