import type { IncomingMessage, Server, ServerResponse } from "node:http"
import type { ListenOptions } from "node:net"
import { HttpServer } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { Effect, Exit, FiberRef, FiberRefs, Layer, Option, Runtime } from "effect"
import { type DirectAnswer, DirectRoutes } from "./edge/Direct.js"

type NodeHandler = (request: IncomingMessage, response: ServerResponse) => void

const write = (response: ServerResponse, answer: DirectAnswer) => {
  // A Buffer, not the string: given a string, node writes the headers with the body in the body's
  // encoding (UTF-8), so a header echoing the request's bytes (an Origin) would not be the router's.
  const body = Buffer.from(answer.body)
  response.writeHead(answer.status, { ...answer.headers, "content-length": body.length })
  response.end(body)
}

/** An answer given as its `Exit`: known already (`Exit.isExit` forgets what it holds). */
const given = (answering: Effect.Effect<DirectAnswer, unknown>): answering is Exit.Exit<DirectAnswer, unknown> =>
  Exit.isExit(answering)

/**
 * The app's handler behind the direct routes: what they do not answer, it does, from the start. An
 * answer they give as an `Exit` (known at once, nothing to log) is written without a fiber.
 */
const directFirst = (
  routes: DirectRoutes["Type"],
  runtime: Runtime.Runtime<never>,
  handler: NodeHandler,
): NodeHandler => {
  const run = Runtime.runCallback(runtime)
  const minimumLogLevel = FiberRefs.getOrDefault(runtime.fiberRefs, FiberRef.currentMinimumLogLevel)
  return function directFirst(request, response) {
    const answering = routes.answer(request, minimumLogLevel)
    if (answering === undefined) return handler(request, response)
    const onExit = (exit: Exit.Exit<DirectAnswer, unknown>) => {
      if (Exit.isSuccess(exit)) write(response, exit.value)
      // Interrupted: the client left (below); there is no one to answer.
      else if (!Exit.isInterrupted(exit)) handler(request, response)
    }
    if (given(answering)) return onExit(answering)
    const cancel = run(answering, { onExit })
    // As the platform's handler does: a client gone before its answer interrupts the work for it.
    response.on("close", () => {
      if (!response.writableEnded) cancel()
    })
  }
}

/**
 * The platform's node:http server, with the app's direct routes (when it has any) in front of its
 * router. No WebSocket upgrades: the API has none.
 */
const make = (evaluate: () => Server, options: ListenOptions) =>
  Effect.suspend(() => {
    const server = evaluate()
    return Effect.map(
      NodeHttpServer.make(() => server, options),
      ({ address }) =>
        HttpServer.make({
          address,
          serve: (app, middleware) =>
            Effect.gen(function* () {
              const handler = yield* middleware === undefined
                ? NodeHttpServer.makeHandler(app)
                : NodeHttpServer.makeHandler(app, middleware)
              const direct = yield* Effect.serviceOption(DirectRoutes)
              const runtime = yield* Effect.runtime<never>()
              const listener = Option.match(direct, {
                onNone: () => handler,
                onSome: (routes) => directFirst(routes, runtime, handler),
              })
              yield* Effect.addFinalizer(() => Effect.sync(() => server.off("request", listener)))
              server.on("request", listener)
            }),
        }),
    )
  })

/** Serves the app on a node:http server, as `NodeHttpServer.layer` does, its direct routes first. */
export const layer = (evaluate: () => Server, options: ListenOptions) =>
  Layer.mergeAll(Layer.scoped(HttpServer.HttpServer, make(evaluate, options)), NodeHttpServer.layerContext)
