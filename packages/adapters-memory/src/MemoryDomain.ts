import { UseCases } from "@userkit/domain"
import { Layer } from "effect"
import * as MemoryAdapters from "./MemoryAdapters.js"

/**
 * The whole domain (every use case) on in-memory adapters, fresh on each build, its ports still
 * reachable: what a test of use cases, or of anything built on them, provides.
 */
export const layer = UseCases.layer.pipe(Layer.provideMerge(MemoryAdapters.layer))
