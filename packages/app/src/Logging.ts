import { Layer, Logger } from "effect"
import type { AppConfig } from "./Config.js"

/** JSON lines in production (for collectors), readable lines otherwise; the level from LOG_LEVEL. */
export const loggerLayer = (config: Pick<AppConfig, "production" | "logLevel">) =>
  Layer.merge(config.production ? Logger.json : Logger.logFmt, Logger.minimumLogLevel(config.logLevel))
