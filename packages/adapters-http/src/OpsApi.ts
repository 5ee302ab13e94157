import { HttpApiEndpoint, HttpApiGroup, OpenApi } from "@effect/platform"
import { Schema } from "effect"
import { problemBody } from "./middleware/Problems.js"
import { RouteNote } from "./middleware/RouteNote.js"
import { documented } from "./OpenApiExamples.js"
import { problem, ServiceUnavailable } from "./Problem.js"

export const Status = Schema.Struct({ status: Schema.Literal("ok") }).annotations({ identifier: "Status" })

const health = HttpApiEndpoint.get("health", "/health")
  .addSuccess(Status)
  .annotateContext(
    documented({
      summary: "Liveness",
      description: "Answers 200 while the process serves requests; it checks nothing else.",
      responses: { 200: { status: "ok" } },
    }),
  )

const ready = HttpApiEndpoint.get("ready", "/ready")
  .addSuccess(Status)
  .addError(ServiceUnavailable)
  .annotateContext(
    documented({
      summary: "Readiness",
      description: "200 when the database is reachable and its migrations are current, else 503 with the reason.",
      responses: {
        200: { status: "ok" },
        503: problemBody(problem(ServiceUnavailable, "not_ready", "database unreachable")),
      },
    }),
  )

export class OpsApi extends HttpApiGroup.make("ops")
  .add(health)
  .add(ready)
  .middleware(RouteNote)
  .annotate(OpenApi.Title, "Operations")
  .annotate(OpenApi.Description, "Probes for orchestrators and load balancers") {}
