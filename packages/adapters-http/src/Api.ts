import { HttpApi, OpenApi } from "@effect/platform"
import { AdminApi } from "./AdminApi.js"
import { AuthApi } from "./AuthApi.js"
import { withOAuth2PasswordFlow, withoutDecodeError } from "./OpenApiDocument.js"
import { OpsApi } from "./OpsApi.js"
import { InternalServerError } from "./Problem.js"
import { UsersApi } from "./UsersApi.js"

/** The whole HTTP contract, declared once: handlers, the OpenAPI document and clients derive from it. */
export class Api extends HttpApi.make("userkit")
  .add(AuthApi)
  .add(UsersApi)
  .add(AdminApi)
  .add(OpsApi)
  .addError(InternalServerError)
  .annotate(OpenApi.Title, "userkit")
  .annotate(OpenApi.Version, "1.0.0")
  .annotate(OpenApi.Description, "User management and authentication. Errors are RFC 9457 problem+json.")
  .annotate(OpenApi.Transform, (spec) => withOAuth2PasswordFlow(withoutDecodeError(spec))) {}
