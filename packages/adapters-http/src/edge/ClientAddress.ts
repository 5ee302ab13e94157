import { HttpServerRequest } from "@effect/platform"
import type { Client } from "@userkit/domain"
import { Context, Effect, Either, Layer, Option } from "effect"
import {
  type AddressRange,
  canonicalAddress,
  type IpAddress,
  parseIpAddress,
  trustedProxyRanges,
  validateTrustedProxies,
} from "./TrustedProxies.js"

/**
 * The address of a request that came through no socket (`HttpApiBuilder.toWebHandler`, a test's
 * in-process call): such clients share one key, so limits still hold for them together.
 */
export const UNKNOWN_ADDRESS = "unknown"

/** The longest `User-Agent` kept: sessions store it, and a header may be far longer. */
export const MAX_USER_AGENT_LENGTH = 512

/**
 * Who sent a request: its address is the socket's, unless the socket's peer is a trusted proxy;
 * then `X-Forwarded-For` is read from the right, past every trusted hop, to the first untrusted
 * one (proxy-addr's algorithm, as Express's `trust proxy`). No proxy is trusted by default, and
 * the trust is compiled once, when the layer is built.
 */
export class ClientAddress extends Context.Tag("userkit/http/ClientAddress")<
  ClientAddress,
  { readonly clientOf: (request: HttpServerRequest.HttpServerRequest) => Client }
>() {}

/** The client of the request being handled. */
export const current: Effect.Effect<Client, never, HttpServerRequest.HttpServerRequest | ClientAddress> =
  Effect.zipWith(ClientAddress, HttpServerRequest.HttpServerRequest, (addresses, request) =>
    addresses.clientOf(request),
  )

const trustIn = (ranges: ReadonlyArray<AddressRange>) => {
  const ipv4 = ranges.filter(([network]) => network.kind() === "ipv4")
  const ipv6 = ranges.filter(([network]) => network.kind() === "ipv6")
  return (address: IpAddress) =>
    (address.kind() === "ipv4" ? ipv4 : ipv6).some(([network, bits]) => address.match(network, bits))
}

const addressOf = (
  remoteAddress: Option.Option<string>,
  forwarded: string | undefined,
  trusted: (address: IpAddress) => boolean,
): string => {
  const socket = Option.flatMapNullable(remoteAddress, parseIpAddress)
  if (Option.isNone(socket)) return UNKNOWN_ADDRESS
  let client = socket.value
  if (forwarded === undefined || !trusted(client)) return canonicalAddress(client)
  const hops = forwarded.split(",")
  for (let i = hops.length - 1; i >= 0 && trusted(client); i--) {
    const hop = hopAddress(hops[i]?.trim() ?? "")
    // A hop we cannot read was written (or passed on) by a trusted proxy: stop at the last one we
    // could. Its clients then share the proxy's key: limited too strictly, never not at all.
    if (hop === undefined) break
    client = hop
  }
  return canonicalAddress(client)
}

// A hop with the client's port, as some load balancers write it: `203.0.113.7:4711`, `[2001:db8::1]:443`.
const withPort = /^(?:\[([0-9A-Fa-f:.%]+)\]|(\d{1,3}(?:\.\d{1,3}){3}))(?::(\d{1,5}))?$/

/** One X-Forwarded-For hop's address, its port (if any) dropped; undefined when it is none. */
const hopAddress = (hop: string): IpAddress | undefined => {
  const match = withPort.exec(hop)
  if (match === null) return parseIpAddress(hop)
  const [, bracketed, ipv4, port] = match
  if (port !== undefined && Number(port) > 65_535) return undefined
  return parseIpAddress(bracketed ?? ipv4 ?? "")
}

const userAgentOf = (header: string | undefined): string | null => {
  const text = header?.trim() ?? ""
  if (text === "") return null
  // Header values are byte strings (one character per byte), so a cut never splits a character pair.
  return text.length <= MAX_USER_AGENT_LENGTH ? text : text.slice(0, MAX_USER_AGENT_LENGTH)
}

/** The service trusting `trustedProxies` (see `validateTrustedProxies`); a wrong entry is a defect. */
export const make = (trustedProxies: ReadonlyArray<string>) =>
  Either.match(validateTrustedProxies(trustedProxies), {
    onLeft: (wrong) => Effect.dieMessage(`trustedProxies: ${wrong}`),
    onRight: (entries) => {
      const trusted = trustIn(entries.flatMap((entry) => trustedProxyRanges(entry) ?? []))
      return Effect.succeed(
        ClientAddress.of({
          clientOf: (request) => {
            // The Node request builds its headers anew at each read: read them once.
            const headers = request.headers
            return {
              address: addressOf(request.remoteAddress, headers["x-forwarded-for"], trusted),
              userAgent: userAgentOf(headers["user-agent"]),
            }
          },
        }),
      )
    },
  })

/** Client addresses trusting `trustedProxies`: addresses, CIDR ranges or proxy-addr's shorthands. */
export const layer = (trustedProxies: ReadonlyArray<string>): Layer.Layer<ClientAddress> =>
  Layer.effect(
    ClientAddress,
    Effect.suspend(() => make(trustedProxies)),
  )
