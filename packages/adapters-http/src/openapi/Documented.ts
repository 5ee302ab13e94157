import { OpenApi } from "@effect/platform"
import type { Context } from "effect"
import { isJson, type Json, values } from "./DocumentTransforms.js"
import { byStatus } from "./Examples.js"

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
      if (isJson(response)) setExample(response.content, docs.responses?.[Number(status)] ?? byStatus[status])
    return operation
  }

/** An endpoint's summary, description and examples, as OpenAPI annotations. */
export const documented = (docs: EndpointDocs): Context.Context<never> =>
  OpenApi.annotations({ summary: docs.summary, description: docs.description, transform: withExamples(docs) })
