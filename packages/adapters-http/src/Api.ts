import { HttpApi, OpenApi } from "@effect/platform"
import { AuthApi } from "./AuthApi.js"
import { withoutDecodeError } from "./OpenApiDocument.js"
import { OpsApi } from "./OpsApi.js"
import { InternalServerError } from "./Problem.js"

/** The whole HTTP contract, declared once: handlers, the OpenAPI document and clients derive from it. */
export class Api extends HttpApi.make("userkit")
  .add(AuthApi)
  .add(OpsApi)
  .addError(InternalServerError, { status: 500 })
  .annotate(OpenApi.Title, "userkit")
  .annotate(OpenApi.Version, "1.0.0")
  .annotate(OpenApi.Description, "User management and authentication. Errors are RFC 9457 problem+json.")
  .annotate(OpenApi.Transform, withoutDecodeError) {}
