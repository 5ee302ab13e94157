import { HttpApiEndpoint } from "@effect/platform"
import { Schema } from "effect"
import { group } from "../edge/RouteNote.js"
import { documented } from "../openapi/Documented.js"
import * as Examples from "../openapi/Examples.js"
import { ServiceUnavailable } from "../problems/Problem.js"
import { Jwks } from "./PublicKeys.js"

export const Status = Schema.Struct({ status: Schema.Literal("ok") }).annotations({ identifier: "Status" })

const health = HttpApiEndpoint.get("health", "/health")
  .addSuccess(Status)
  .annotateContext(
    documented({
      summary: "Liveness",
      description: "Answers 200 while the process serves requests; it checks nothing else.",
      responses: { 200: Examples.ok },
    }),
  )

const ready = HttpApiEndpoint.get("ready", "/ready")
  .addSuccess(Status)
  .addError(ServiceUnavailable)
  .annotateContext(
    documented({
      summary: "Readiness",
      description: "200 when the database is reachable and its migrations are current, else 503 with the reason.",
      responses: { 200: Examples.ok, 503: Examples.databaseNotReady },
    }),
  )

const jwks = HttpApiEndpoint.get("jwks", "/.well-known/jwks.json")
  .addSuccess(Jwks)
  .annotateContext(
    documented({
      summary: "The token signing keys (JWKS)",
      description:
        "The public keys access tokens are signed with (EdDSA, Ed25519), each named by the `kid` in a token's " +
        "header, for services that verify tokens themselves: the current key, and earlier ones until every " +
        "token they signed has expired. Such a service sees a token of an ended session until it expires. " +
        "Empty when the deployment signs with HS256 (JWT_ALGORITHM=HS256). Cacheable for 5 minutes.",
      responses: { 200: Examples.aJwks },
    }),
  )

export class OpsApi extends group(
  "ops",
  { title: "Operations", description: "Probes for orchestrators and load balancers, and the token signing keys" },
  (group) => group.add(health).add(ready).add(jwks),
) {}
