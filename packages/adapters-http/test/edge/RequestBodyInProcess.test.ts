import { HttpApp, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { limitRequestBody } from "../../src/edge/RequestBody.js"

// An app that answers with the JSON body it was given, behind the bound, called in-process with web
// Requests (HttpApiBuilder.toWebHandler's way): the body is read from the platform's stream of it.
const echo = Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) =>
  Effect.map(Effect.orDie(request.json), (body) => HttpServerResponse.unsafeJson(body)),
)
const handler = HttpApp.toWebHandler(
  limitRequestBody(16)(echo).pipe(
    Effect.catchAll((problem) => HttpServerResponse.json({ rejected: problem.status }).pipe(Effect.orDie)),
  ),
)

const post = (body: string) =>
  Effect.promise(async () => {
    const answer = await handler(
      new Request("http://localhost/", { method: "POST", headers: { "content-type": "application/json" }, body }),
    )
    return { status: answer.status, body: (await answer.json()) as unknown }
  })

describe("the body bound on a request made in-process (a web Request)", () => {
  it.effect("reads a body within the limit, and refuses one byte more", () =>
    Effect.gen(function* () {
      expect(yield* post('{"a":"12345678"}')).toEqual({ status: 200, body: { a: "12345678" } })
      expect(yield* post('{"a":"123456789"}')).toEqual({ status: 200, body: { rejected: 413 } })
    }),
  )
})
