import { HttpApiMiddleware } from "@effect/platform"
import { Accounts, Administration } from "@userkit/domain"
import { Effect, Layer, Schema } from "effect"
import { asProblems } from "../problems/DomainProblems.js"
import { Forbidden, Unauthorized } from "../problems/Problem.js"
import { authenticate, bearerSecurity, CurrentUser } from "./Authentication.js"

/**
 * Authentication for the admin endpoints: the caller, who must be a superuser (the domain decides,
 * through `Administration.requireSuperuser`). It runs before the path, query and body are decoded,
 * so anyone else gets the 401 or 403 and learns nothing of what the endpoint would accept.
 */
export class SuperuserAuthentication extends HttpApiMiddleware.Tag<SuperuserAuthentication>()(
  "userkit/http/SuperuserAuthentication",
  { provides: CurrentUser, failure: Schema.Union(Unauthorized, Forbidden), security: bearerSecurity },
) {}

export const layer: Layer.Layer<SuperuserAuthentication, never, Accounts | Administration> = Layer.effect(
  SuperuserAuthentication,
  Effect.gen(function* () {
    const accounts = yield* Accounts
    const administration = yield* Administration
    return SuperuserAuthentication.of({
      OAuth2PasswordBearer: () =>
        authenticate(accounts).pipe(Effect.tap((user) => asProblems(administration.requireSuperuser(user)))),
    })
  }),
)
