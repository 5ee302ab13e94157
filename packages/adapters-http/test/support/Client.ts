import { FetchHttpClient } from "@effect/platform"
import { Effect, Redacted } from "effect"
import { UserkitClient } from "../../src/index.js"
import { TestApp } from "./TestApp.js"

/** The typed client of the app under test; given a token, every call is made as its user. */
export const client = (token?: string) =>
  Effect.flatMap(TestApp, ({ baseUrl }) =>
    UserkitClient.make(baseUrl, token === undefined ? {} : { accessToken: Redacted.make(token) }),
  ).pipe(Effect.provide(FetchHttpClient.layer))
