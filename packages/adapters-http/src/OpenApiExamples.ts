import { OpenApi } from "@effect/platform"
import { Forbidden } from "@userkit/domain"
import type { Context } from "effect"
import { toProblem, unauthorized } from "./DomainProblems.js"
import { internalError, malformedBody, problemBody } from "./middleware/Problems.js"
import { DEFAULT_MAX_BODY_BYTES, tooLarge, unsupportedMediaType } from "./middleware/RequestBody.js"
import { isJson, type Json, values } from "./OpenApiDocument.js"
import { problemType, UnprocessableContent } from "./Problem.js"

export const invalidRequestExample = problemBody(
  new UnprocessableContent({
    type: problemType("invalid_request"),
    code: "invalid_request",
    detail: "email: email must be a valid e-mail address; is_superuser: is unexpected",
    errors: [
      { pointer: "#/email", detail: "email must be a valid e-mail address" },
      { pointer: "#/is_superuser", detail: "is unexpected" },
    ],
  }),
)

/** The answers most endpoints share, built by the code that sends them. */
const commonExamples: Readonly<Record<string, unknown>> = {
  400: problemBody(malformedBody()),
  401: problemBody(unauthorized()),
  403: problemBody(toProblem(new Forbidden())),
  413: problemBody(tooLarge(DEFAULT_MAX_BODY_BYTES)),
  415: problemBody(unsupportedMediaType()),
  422: invalidRequestExample,
  500: problemBody(internalError()),
}

export interface EndpointDocs {
  readonly summary: string
  readonly description: string
  /** An example request body, as sent (JSON or form fields alike). */
  readonly request?: unknown
  /** Example path and query parameter values, by name. */
  readonly parameters?: Readonly<Record<string, string | number | boolean>>
  /** Example answers by status; a status without one gets the shared example for it, if any. */
  readonly responses?: Readonly<Record<number, unknown>>
}

const setExample = (content: unknown, example: unknown) => {
  if (example !== undefined) for (const media of values(content)) media.example = example
}

/** Puts the examples where Swagger UI shows them and pre-fills "Try it out": on each media type and parameter. */
const withExamples =
  (docs: EndpointDocs) =>
  (operation: Json): Json => {
    const body = operation.requestBody
    if (isJson(body)) setExample(body.content, docs.request)
    const parameters: ReadonlyArray<unknown> = Array.isArray(operation.parameters) ? operation.parameters : []
    for (const parameter of parameters) {
      const example = isJson(parameter) ? docs.parameters?.[String(parameter.name)] : undefined
      if (isJson(parameter) && example !== undefined) parameter.example = example
    }
    for (const [status, response] of Object.entries(isJson(operation.responses) ? operation.responses : {}))
      if (isJson(response)) setExample(response.content, docs.responses?.[Number(status)] ?? commonExamples[status])
    return operation
  }

/** An endpoint's summary, description and examples, as OpenAPI annotations. */
export const documented = (docs: EndpointDocs): Context.Context<never> =>
  OpenApi.annotations({ summary: docs.summary, description: docs.description, transform: withExamples(docs) })
