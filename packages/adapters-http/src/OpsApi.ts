import { HttpApiEndpoint, HttpApiGroup, OpenApi } from "@effect/platform"
import { Schema } from "effect"
import { RouteNote } from "./middleware/RouteNote.js"
import { ServiceUnavailable } from "./Problem.js"

export const Status = Schema.Struct({ status: Schema.Literal("ok") }).annotations({ identifier: "Status" })

const health = HttpApiEndpoint.get("health", "/health")
  .addSuccess(Status)
  .annotate(OpenApi.Summary, "Liveness")
  .annotate(OpenApi.Description, "Answers 200 while the process serves requests; it checks nothing else.")

const ready = HttpApiEndpoint.get("ready", "/ready")
  .addSuccess(Status)
  .addError(ServiceUnavailable, { status: 503 })
  .annotate(OpenApi.Summary, "Readiness")
  .annotate(OpenApi.Description, "200 when the database is reachable and its migrations are current, else 503.")

export class OpsApi extends HttpApiGroup.make("ops")
  .add(health)
  .add(ready)
  .middleware(RouteNote)
  .annotate(OpenApi.Title, "Operations")
  .annotate(OpenApi.Description, "Probes for orchestrators and load balancers") {}
