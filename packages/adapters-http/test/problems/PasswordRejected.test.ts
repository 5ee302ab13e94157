import { HttpApiError, type HttpServerResponse } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { PasswordRejected } from "@userkit/domain"
import { Effect, Schema } from "effect"
import { asProblems, toProblem } from "../../src/problems/DomainProblems.js"
import type { UnprocessableContent } from "../../src/problems/Problem.js"
import { problemResponses } from "../../src/problems/ProblemResponses.js"

const bodyOf = (response: HttpServerResponse.HttpServerResponse): unknown =>
  response.body._tag === "Uint8Array" ? JSON.parse(new TextDecoder().decode(response.body.body)) : undefined

/** How the edge answers a payload whose schema refuses `field` with `reason` (the way Password refused lengths). */
const schemaRefusal = (field: string, reason: string) =>
  Effect.gen(function* () {
    const payload = Schema.Struct({ [field]: Schema.String.pipe(Schema.filter(() => reason)) })
    const parseError = yield* Effect.flip(Schema.decodeUnknown(payload)({ [field]: "hunter2" }))
    return yield* problemResponses(HttpApiError.HttpApiDecodeError.refailParseError(parseError))
  })

/** How the edge answers a use case that fails with `rejected`, as a handler runs it. */
const policyRefusal = (rejected: PasswordRejected) => problemResponses(asProblems(Effect.fail(rejected)))

describe("a password the policy refuses", () => {
  it.effect("is the 422 a schema's refusal of the same field is, naming the field and why", () =>
    Effect.gen(function* () {
      for (const [field, reason] of [
        ["password", "password must be at least 8 characters"],
        ["new_password", "password is too common: it is among the most used passwords"],
      ] as const) {
        const byPolicy = yield* policyRefusal(new PasswordRejected({ field, reason }))
        const bySchema = yield* schemaRefusal(field, reason)
        expect(byPolicy.status).toBe(422)
        expect(byPolicy.headers["content-type"]).toBe("application/problem+json")
        expect(bodyOf(byPolicy)).toEqual(bodyOf(bySchema))
        expect(bodyOf(byPolicy)).toEqual({
          type: "urn:userkit:problem:invalid_request",
          title: "Unprocessable Content",
          status: 422,
          detail: `${field}: ${reason}`,
          code: "invalid_request",
          errors: [{ pointer: `#/${field}`, detail: reason }],
        })
      }
    }),
  )

  it("is typed as the 422 problem, so an endpoint must declare it", () => {
    const problem: UnprocessableContent = toProblem(
      new PasswordRejected({ field: "password", reason: "password has appeared in a known data breach" }),
    )
    expect(problem.errors).toEqual([{ pointer: "#/password", detail: "password has appeared in a known data breach" }])
  })
})
