import { HttpApiMiddleware, HttpRouter } from "@effect/platform"
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
export const noteRoute: Effect.Effect<void, never, HttpRouter.RouteContext> = Effect.gen(function* () {
  const { route } = yield* HttpRouter.RouteContext
  const cell = yield* FiberRef.get(currentRouteCell)
  if (cell !== undefined) cell.route = route.path
})

/** `noteRoute` for every endpoint of a group. */
export class RouteNote extends HttpApiMiddleware.Tag<RouteNote>()("userkit/http/RouteNote") {}

export const RouteNoteLive = Layer.succeed(RouteNote, RouteNote.of(noteRoute))
