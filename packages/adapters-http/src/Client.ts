import { HttpApiClient, HttpClient, HttpClientRequest } from "@effect/platform"
import type { Effect, Redacted } from "effect"
import { Api } from "./Api.js"

export interface Options {
  /** Sent as `Authorization: Bearer` on every call: the `access_token` of a login. */
  readonly accessToken?: Redacted.Redacted<string>
}

/**
 * A client of the userkit API at `baseUrl` (e.g. `https://users.example.com`), typed by the same
 * declaration the server is built from: each group a field (`auth`, `users`, `admin`, `ops`), each
 * endpoint a method taking its path, query and payload, and failing with the problems it declares.
 * Needs an `HttpClient` (`FetchHttpClient.layer`, `NodeHttpClient.layer`).
 */
export const make = (baseUrl: string | URL, options: Options = {}) =>
  HttpApiClient.make(Api, {
    baseUrl,
    transformClient: (client) =>
      options.accessToken === undefined
        ? client
        : HttpClient.mapRequest(client, HttpClientRequest.bearerToken(options.accessToken)),
  })

/** The client's type, to name it in a service's own signatures. */
export type Client = Effect.Effect.Success<ReturnType<typeof make>>
