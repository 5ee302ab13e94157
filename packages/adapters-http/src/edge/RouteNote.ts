import { type HttpApiEndpoint, HttpApiGroup, HttpApiMiddleware, HttpRouter, OpenApi } from "@effect/platform"
import { Effect, FiberRef, Layer } from "effect"

/** Where a request's matched route template is written down, for the request log and metrics. */
export interface RouteCell {
  route: string | undefined
}

/** The cell of the request being handled; the request log sets it around each request. */
export const currentRouteCell = FiberRef.unsafeMake<RouteCell | undefined>(undefined)

/**
 * Notes the route template the router matched (`/api/v1/users/:id`, not the path with its id).
 * The router also writes it on the request's span, but only when tracing is on.
 */
export class RouteNote extends HttpApiMiddleware.Tag<RouteNote>()("userkit/http/RouteNote") {}

export const layer = Layer.succeed(
  RouteNote,
  RouteNote.of(
    Effect.gen(function* () {
      const { route } = yield* HttpRouter.RouteContext
      const cell = yield* FiberRef.get(currentRouteCell)
      if (cell !== undefined) cell.route = route.path
    }),
  ),
)

/** What every group says about itself. */
export interface GroupOptions {
  /** Prepended to every endpoint's path. */
  readonly prefix?: HttpApiEndpoint.PathSegment
  readonly title: string
  readonly description: string
}

/**
 * A group of the API: its endpoints under `prefix`, each of which notes its route template before
 * anything else runs. The note is added to every endpoint last, and the builder runs an endpoint's
 * last middleware first: so a request refused by authentication is logged and counted by its
 * template too, and no group or authentication middleware has to remember it.
 */
export const group = <const Name extends string, Endpoints extends HttpApiEndpoint.HttpApiEndpoint.Any, E, R>(
  name: Name,
  options: GroupOptions,
  endpoints: (group: HttpApiGroup.HttpApiGroup<Name, never, never>) => HttpApiGroup.HttpApiGroup<Name, Endpoints, E, R>,
) => {
  const declared = endpoints(HttpApiGroup.make(name))
  return (options.prefix === undefined ? declared : declared.prefix(options.prefix))
    .middlewareEndpoints(RouteNote)
    .annotate(OpenApi.Title, options.title)
    .annotate(OpenApi.Description, options.description)
}
