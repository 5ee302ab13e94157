import { HttpApiMiddleware } from "@effect/platform"
import { Administration, Sessions } from "@userkit/domain"
import { Effect, Layer, Schema } from "effect"
import { asProblems } from "../problems/DomainProblems.js"
import { Forbidden, Unauthorized } from "../problems/Problem.js"
import { authenticate, bearerSecurity, CurrentCaller } from "./Authentication.js"

/**
 * Authentication for the admin endpoints: the caller, who must be a superuser (the domain decides,
 * through `Administration.requireSuperuser`). It runs before the path, query and body are decoded,
 * so anyone else gets the 401 or 403 and learns nothing of what the endpoint would accept.
 */
export class SuperuserAuthentication extends HttpApiMiddleware.Tag<SuperuserAuthentication>()(
  "userkit/http/SuperuserAuthentication",
  { provides: CurrentCaller, failure: Schema.Union(Unauthorized, Forbidden), security: bearerSecurity },
) {}

export const layer: Layer.Layer<SuperuserAuthentication, never, Sessions | Administration> = Layer.effect(
  SuperuserAuthentication,
  Effect.gen(function* () {
    const sessions = yield* Sessions
    const administration = yield* Administration
    return SuperuserAuthentication.of({
      OAuth2PasswordBearer: () =>
        authenticate(sessions).pipe(Effect.tap((caller) => asProblems(administration.requireSuperuser(caller.user)))),
    })
  }),
)
