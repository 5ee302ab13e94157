import { HttpApiEndpoint } from "@effect/platform"
import { Schema } from "effect"
import { group } from "../edge/RouteNote.js"
import { documented } from "../openapi/Documented.js"
import * as Examples from "../openapi/Examples.js"
import { ServiceUnavailable } from "../problems/Problem.js"

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

export class OpsApi extends group(
  "ops",
  { title: "Operations", description: "Probes for orchestrators and load balancers" },
  (group) => group.add(health).add(ready),
) {}
