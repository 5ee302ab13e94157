import { HttpApiSchema } from "@effect/platform"
import { Schema } from "effect"

/** RFC 9457 problem details. `code` is the stable, machine-readable name of what went wrong. */
const problemFields = <Status extends number>(status: Status, title: string) => ({
  type: Schema.String.annotations({ description: "A URI naming the problem type: urn:userkit:problem:<code>" }),
  title: Schema.String.pipe(
    Schema.propertySignature,
    Schema.withConstructorDefault(() => title),
  ),
  status: Schema.Literal(status).pipe(
    Schema.propertySignature,
    Schema.withConstructorDefault(() => status),
  ),
  detail: Schema.String.annotations({ description: "What went wrong, for a human; never echoes submitted values" }),
  code: Schema.String.annotations({ description: "Stable machine-readable code, e.g. email_already_registered" }),
})

const problemJson: HttpApiSchema.Encoding = { kind: "Json", contentType: "application/problem+json" }

// One class per status, carrying it (a middleware's failure has no `addError` to give it one);
// statuses live here, in the adapter, never on a domain error.
const ProblemClass =
  <Self>() =>
  <Status extends number>(identifier: string, status: Status, title: string) =>
    Schema.Class<Self>(identifier)(problemFields(status, title), {
      description: title,
      [HttpApiSchema.AnnotationStatus]: status,
      [HttpApiSchema.AnnotationEncoding]: problemJson,
    })

export class BadRequest extends ProblemClass<BadRequest>()("BadRequest", 400, "Bad Request") {}
export class Unauthorized extends ProblemClass<Unauthorized>()("Unauthorized", 401, "Unauthorized") {}
export class Forbidden extends ProblemClass<Forbidden>()("Forbidden", 403, "Forbidden") {}
export class NotFound extends ProblemClass<NotFound>()("NotFound", 404, "Not Found") {}
export class Conflict extends ProblemClass<Conflict>()("Conflict", 409, "Conflict") {}
export class ContentTooLarge extends ProblemClass<ContentTooLarge>()("ContentTooLarge", 413, "Content Too Large") {}
export class UnsupportedMediaType extends ProblemClass<UnsupportedMediaType>()(
  "UnsupportedMediaType",
  415,
  "Unsupported Media Type",
) {}
export class TooManyRequests extends ProblemClass<TooManyRequests>()("TooManyRequests", 429, "Too Many Requests") {}
export class InternalServerError extends ProblemClass<InternalServerError>()(
  "InternalServerError",
  500,
  "Internal Server Error",
) {}
export class ServiceUnavailable extends ProblemClass<ServiceUnavailable>()(
  "ServiceUnavailable",
  503,
  "Service Unavailable",
) {}

/** One wrong field: where it is (a JSON pointer into the payload) and what is wrong with it. */
export const FieldError = Schema.Struct({ pointer: Schema.String, detail: Schema.String }).annotations({
  identifier: "FieldError",
})
export type FieldError = typeof FieldError.Type

export class UnprocessableContent extends Schema.Class<UnprocessableContent>("UnprocessableContent")(
  { ...problemFields(422, "Unprocessable Content"), errors: Schema.Array(FieldError) },
  {
    description: "Unprocessable Content",
    [HttpApiSchema.AnnotationStatus]: 422,
    [HttpApiSchema.AnnotationEncoding]: problemJson,
  },
) {}

export type Problem =
  | BadRequest
  | Unauthorized
  | Forbidden
  | NotFound
  | Conflict
  | ContentTooLarge
  | UnsupportedMediaType
  | UnprocessableContent
  | TooManyRequests
  | InternalServerError
  | ServiceUnavailable

const problemClasses = [
  BadRequest,
  Unauthorized,
  Forbidden,
  NotFound,
  Conflict,
  ContentTooLarge,
  UnsupportedMediaType,
  UnprocessableContent,
  TooManyRequests,
  InternalServerError,
  ServiceUnavailable,
] as const

export const isProblem = (u: unknown): u is Problem => problemClasses.some((Class) => u instanceof Class)

export const problemType = (code: string): string => `urn:userkit:problem:${code}`

/** A problem of the given class, its `type` derived from its `code`. */
export const problem = <P>(
  Class: new (props: { readonly type: string; readonly code: string; readonly detail: string }) => P,
  code: string,
  detail: string,
): P => new Class({ type: problemType(code), code, detail })

/** A 422 about one field (a JSON pointer into the payload or query): the whole problem is what is wrong with it. */
export const fieldProblem = (code: string, pointer: string, detail: string): UnprocessableContent =>
  new UnprocessableContent({ type: problemType(code), code, detail, errors: [{ pointer, detail }] })

/** What any endpoint reading a body may answer before its payload is decoded, and when it is not valid. */
export const BodyProblems = Schema.Union(BadRequest, ContentTooLarge, UnsupportedMediaType, UnprocessableContent)

/** A problem as the JSON it is answered with (and documented by). */
export const problemBody = (p: Problem) => ({
  type: p.type,
  title: p.title,
  status: p.status,
  detail: p.detail,
  code: p.code,
  ...(p instanceof UnprocessableContent ? { errors: p.errors } : {}),
})
