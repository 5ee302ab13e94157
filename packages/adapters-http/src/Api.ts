import { HttpApi, OpenApi } from "@effect/platform"
import { AdminApi } from "./admin/Api.js"
import { AuthApi } from "./auth/Api.js"
import { withOAuth2PasswordFlow, withoutDecodeError } from "./openapi/DocumentTransforms.js"
import { OpsApi } from "./ops/Api.js"
import { InternalServerError } from "./problems/Problem.js"
import { UsersApi } from "./users/Api.js"

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
