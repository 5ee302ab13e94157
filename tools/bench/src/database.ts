import pg from "pg"

const DEFAULT_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"

export interface BenchDatabase {
  readonly name: string
  readonly url: string
  readonly drop: () => Promise<void>
}

/**
 * Runs `use` on one connection to `url`, closed at the end. An abort closes it at once, so that a long
 * statement fails here; PostgreSQL then finishes it alone, or the database's DROP ... WITH (FORCE) ends it.
 */
export const withClient = async <A>(
  url: string,
  use: (client: pg.Client) => Promise<A>,
  signal?: AbortSignal,
): Promise<A> => {
  const client = new pg.Client({ connectionString: url })
  // A connection the server ends (the drop's FORCE) must not crash the bench as an unhandled 'error'.
  client.on("error", () => {})
  const close = () => void client.end().catch(() => {})
  await client.connect()
  signal?.addEventListener("abort", close, { once: true })
  try {
    signal?.throwIfAborted()
    return await use(client)
  } catch (error) {
    throw signal?.aborted === true ? signal.reason : error
  } finally {
    signal?.removeEventListener("abort", close)
    await client.end().catch(() => {})
  }
}

/** A fresh, empty database on the server of BENCH_DATABASE_URL; `drop` removes it even if clients remain. */
export const createDatabase = async (): Promise<BenchDatabase> => {
  const adminUrl = process.env.BENCH_DATABASE_URL ?? DEFAULT_ADMIN_URL
  const name = `userkit_bench_${Date.now()}_${process.pid}`
  await withClient(adminUrl, (client) => client.query(`CREATE DATABASE "${name}"`))
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  return {
    name,
    url: url.toString(),
    drop: async () => {
      await withClient(adminUrl, (client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`))
    },
  }
}
