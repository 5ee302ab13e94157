import { createServer, type OutgoingHttpHeaders, request } from "node:http"
import { HttpRouter, HttpServer, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { describe, expect, it, layer } from "@effect/vitest"
import { Cause, Effect, Either, Exit, Layer, Option, Schema } from "effect"
import { ClientAddress, HttpApp } from "../../src/index.js"
import { testApp } from "../support/TestApp.js"

// A server that answers what ClientAddress makes of each request, and the socket's own word for it.
const echo = HttpRouter.empty.pipe(
  HttpRouter.get(
    "/client",
    Effect.flatMap(ClientAddress.current, (client) => HttpServerResponse.json(client)),
  ),
  HttpRouter.get(
    "/socket",
    Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) =>
      HttpServerResponse.text(Option.getOrElse(request.remoteAddress, () => "none")),
    ),
  ),
)

const echoServer = (trustedProxies: ReadonlyArray<string>) =>
  HttpServer.serve(echo).pipe(
    Layer.provide(ClientAddress.layer(trustedProxies)),
    Layer.provideMerge(NodeHttpServer.layer(createServer, { port: 0 })),
  )

interface From {
  /** Where to reach the server: "127.0.0.1" (the default) or "::1". */
  readonly host?: string
  /** The address the request leaves from, so the server sees another loopback peer. */
  readonly localAddress?: string
  readonly headers?: OutgoingHttpHeaders
}

const get = (path: string, from: From = {}) =>
  Effect.gen(function* () {
    const server = yield* HttpServer.HttpServer
    const port = server.address._tag === "TcpAddress" ? server.address.port : 0
    return yield* Effect.async<string, Error>((resume) => {
      const options = { host: from.host ?? "127.0.0.1", port, path, headers: from.headers ?? {} }
      const local = from.localAddress === undefined ? {} : { localAddress: from.localAddress }
      const outgoing = request({ ...options, ...local }, (answer) => {
        const chunks: Array<Buffer> = []
        answer.on("data", (chunk: Buffer) => chunks.push(chunk))
        answer.on("end", () => resume(Effect.succeed(Buffer.concat(chunks).toString("utf8"))))
      })
      outgoing.on("error", (error) => resume(Effect.fail(error)))
      outgoing.end()
      return Effect.sync(() => outgoing.destroy())
    })
  })

const ClientJson = Schema.parseJson(Schema.Struct({ address: Schema.String, userAgent: Schema.NullOr(Schema.String) }))
const clientFrom = (from: From = {}) => Effect.map(get("/client", from), Schema.decodeUnknownSync(ClientJson))
const addressFrom = (from: From) => Effect.map(clientFrom(from), (client) => client.address)
const forwardedFor = (chain: string | Array<string>, from: From = {}) =>
  addressFrom({ ...from, headers: { ...from.headers, "x-forwarded-for": chain } })

layer(echoServer([]), { excludeTestServices: true })("client address, no proxy trusted (the default)", (it) => {
  it.effect("is the socket's peer, whatever X-Forwarded-For claims", () =>
    Effect.gen(function* () {
      expect(yield* addressFrom({})).toBe("127.0.0.1")
      expect(yield* forwardedFor("203.0.113.7")).toBe("127.0.0.1")
      expect(yield* forwardedFor("203.0.113.7", { host: "::1" })).toBe("::1")
    }),
  )

  it.effect("writes the IPv4-mapped peer of a dual-stack socket as plain IPv4", () =>
    Effect.gen(function* () {
      // The server listens on `::`, so Node reports an IPv4 peer IPv4-mapped.
      expect(yield* get("/socket")).toBe("::ffff:127.0.0.1")
      expect(yield* addressFrom({})).toBe("127.0.0.1")
    }),
  )

  it.effect("keeps the User-Agent trimmed, cut to 512 characters, and null when absent or blank", () =>
    Effect.gen(function* () {
      const agent = (value?: string) =>
        Effect.map(
          clientFrom(value === undefined ? {} : { headers: { "user-agent": value } }),
          (client) => client.userAgent,
        )
      expect(yield* agent()).toBeNull()
      expect(yield* agent("   ")).toBeNull()
      expect(yield* agent("  curl/8.5.0 ")).toBe("curl/8.5.0")
      expect(yield* agent(`Mozilla/5.0 ${"x".repeat(600)}`)).toBe(`Mozilla/5.0 ${"x".repeat(500)}`)
      expect(yield* agent("y".repeat(512))).toBe("y".repeat(512))
    }),
  )
})

layer(echoServer(["127.0.0.1"]), { excludeTestServices: true })("client address behind 127.0.0.1", (it) => {
  it.effect("believes X-Forwarded-For from the trusted proxy, even over an IPv4-mapped socket", () =>
    Effect.gen(function* () {
      expect(yield* forwardedFor("203.0.113.7")).toBe("203.0.113.7")
      expect(yield* addressFrom({})).toBe("127.0.0.1")
    }),
  )

  it.effect("ignores X-Forwarded-For from any other peer", () =>
    Effect.gen(function* () {
      expect(yield* forwardedFor("203.0.113.7", { localAddress: "127.0.0.2" })).toBe("127.0.0.2")
      expect(yield* forwardedFor("203.0.113.7", { host: "::1" })).toBe("::1")
    }),
  )
})

layer(echoServer(["loopback"]), { excludeTestServices: true })("client address behind loopback", (it) => {
  it.effect("takes the first untrusted hop from the right, never a spoofed one left of it", () =>
    Effect.gen(function* () {
      expect(yield* forwardedFor("1.1.1.1, 203.0.113.7")).toBe("203.0.113.7")
      expect(yield* forwardedFor("1.1.1.1,203.0.113.7", { host: "::1" })).toBe("203.0.113.7")
      expect(yield* forwardedFor("1.1.1.1, 203.0.113.7, 127.0.0.5")).toBe("203.0.113.7")
      // Node joins repeated X-Forwarded-For lines in order.
      expect(yield* forwardedFor(["1.1.1.1", "203.0.113.7"])).toBe("203.0.113.7")
    }),
  )

  it.effect("takes the leftmost hop when every hop is trusted", () =>
    Effect.gen(function* () {
      expect(yield* forwardedFor("127.0.0.9, 127.0.0.8")).toBe("127.0.0.9")
    }),
  )

  it.effect("writes forwarded addresses canonically", () =>
    Effect.gen(function* () {
      expect(yield* forwardedFor("2001:DB8:0:0::0:1")).toBe("2001:db8::1")
      expect(yield* forwardedFor("::ffff:203.0.113.7")).toBe("203.0.113.7")
      expect(yield* forwardedFor("fe80::1%eth0")).toBe("fe80::1")
      // With the client's port, as some load balancers write it (Azure's Application Gateway).
      expect(yield* forwardedFor("203.0.113.7:4711")).toBe("203.0.113.7")
      expect(yield* forwardedFor("[2001:db8::1]:443")).toBe("2001:db8::1")
      expect(yield* forwardedFor("[2001:db8::1]")).toBe("2001:db8::1")
    }),
  )

  it.effect("stops at a malformed hop and takes the last good one", () =>
    Effect.gen(function* () {
      for (const malformed of [
        "not-an-address",
        "203.0.113.7:99999",
        "[2001:db8::1]:",
        "2001:db8::1]:443",
        "127.1",
        "0xcb.0.113.7",
        "",
        "unknown",
      ]) {
        expect(yield* forwardedFor(malformed)).toBe("127.0.0.1")
        expect(yield* forwardedFor(`203.0.113.7, ${malformed}`)).toBe("127.0.0.1")
      }
      expect(yield* forwardedFor("203.0.113.7, garbage, 127.0.0.5")).toBe("127.0.0.5")
      // Garbage left of the first untrusted hop is never reached.
      expect(yield* forwardedFor("garbage, 203.0.113.7")).toBe("203.0.113.7")
    }),
  )
})

layer(echoServer(["127.0.0.1", "10.0.0.0/8"]), { excludeTestServices: true })(
  "client address behind two trusted proxies",
  (it) => {
    it.effect("peels off every trusted hop", () =>
      Effect.gen(function* () {
        expect(yield* forwardedFor("203.0.113.7, 10.0.0.2")).toBe("203.0.113.7")
        expect(yield* forwardedFor("198.51.100.1, 203.0.113.7, 10.200.0.2, 10.0.0.2")).toBe("203.0.113.7")
        expect(yield* forwardedFor("10.0.0.3, 198.51.100.1, 10.0.0.2")).toBe("198.51.100.1")
      }),
    )
  },
)

/** What `trustedProxies` makes of a request from `peer` (none: not from a socket) with these headers. */
const clientOf = (trustedProxies: ReadonlyArray<string>, peer: string | undefined, headers: Record<string, string>) => {
  const web = HttpServerRequest.fromWeb(new Request("http://localhost/", { headers }))
  const request = peer === undefined ? web : web.modify({ remoteAddress: peer })
  return ClientAddress.current.pipe(
    Effect.provideService(HttpServerRequest.HttpServerRequest, request),
    Effect.provide(ClientAddress.layer(trustedProxies)),
  )
}

describe("client address from a request object", () => {
  it.effect("is 'unknown' without a socket, and the User-Agent is still read", () =>
    Effect.gen(function* () {
      const client = yield* clientOf(["loopback"], undefined, { "x-forwarded-for": "203.0.113.7", "user-agent": "t" })
      expect(client).toEqual({ address: ClientAddress.UNKNOWN_ADDRESS, userAgent: "t" })
    }),
  )

  it.effect("matches an IPv4-mapped trusted range against IPv4 peers", () =>
    Effect.gen(function* () {
      const forwarded = { "x-forwarded-for": "203.0.113.7" }
      expect(yield* clientOf(["::ffff:10.0.0.0/104"], "10.1.2.3", forwarded)).toMatchObject({ address: "203.0.113.7" })
      expect(yield* clientOf(["::ffff:10.0.0.0/104"], "11.1.2.3", forwarded)).toMatchObject({ address: "11.1.2.3" })
      expect(yield* clientOf(["10.0.0.0/8"], "::ffff:10.1.2.3", forwarded)).toMatchObject({ address: "203.0.113.7" })
    }),
  )

  it.effect("trusts an IPv6 range for IPv6 peers only", () =>
    Effect.gen(function* () {
      const forwarded = { "x-forwarded-for": "2001:db8::7" }
      expect(yield* clientOf(["fd00::/8"], "fd12::1", forwarded)).toMatchObject({ address: "2001:db8::7" })
      expect(yield* clientOf(["fd00::/8"], "fe80::1", forwarded)).toMatchObject({ address: "fe80::1" })
      expect(yield* clientOf(["fd00::/8"], "10.0.0.1", forwarded)).toMatchObject({ address: "10.0.0.1" })
    }),
  )
})

describe("trusted proxies setting", () => {
  it("accepts addresses, CIDR ranges and proxy-addr's shorthands, trimmed", () => {
    expect(
      HttpApp.validateTrustedProxies([
        "127.0.0.1",
        " 10.0.0.0/8 ",
        "::1",
        "fd00::/8",
        "::ffff:10.0.0.0/104",
        "loopback",
        "linklocal",
        "uniquelocal",
      ]),
    ).toEqual(
      Either.right([
        "127.0.0.1",
        "10.0.0.0/8",
        "::1",
        "fd00::/8",
        "::ffff:10.0.0.0/104",
        "loopback",
        "linklocal",
        "uniquelocal",
      ]),
    )
    expect(HttpApp.validateTrustedProxies([])).toEqual(Either.right([]))
  })

  it("names every entry that is not an address, a range or a shorthand", () => {
    const wrong = HttpApp.validateTrustedProxies([
      "10.0.0.1",
      "10.0.0.0/33",
      "lokalhost",
      "127.1",
      "10.0.0.0/255.0.0.0",
      "",
      "constructor",
      "Loopback",
    ])
    expect(wrong).toEqual(
      Either.left(
        'not an IP address, a CIDR range or one of loopback, linklocal, uniquelocal: "10.0.0.0/33", "lokalhost", "127.1", "10.0.0.0/255.0.0.0", "", "constructor", "Loopback"',
      ),
    )
  })

  it.scoped("stops the app from starting with a wrong entry", () =>
    Effect.gen(function* () {
      const exit = yield* Effect.exit(Layer.build(testApp({ trustedProxies: ["10.0.0.0/8", "lokalhost"] })))
      expect(Exit.isFailure(exit) ? Cause.pretty(exit.cause) : "").toContain("trustedProxies: not an IP address")
      expect(Exit.isFailure(exit) ? Cause.pretty(exit.cause) : "").toContain('"lokalhost"')
    }),
  )
})
