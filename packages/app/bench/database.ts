import pg from "pg"

const DEFAULT_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"

export interface BenchDatabase {
  readonly name: string
  readonly url: string
  readonly drop: () => Promise<void>
}

const withAdmin = async <A>(adminUrl: string, use: (client: pg.Client) => Promise<A>): Promise<A> => {
  const client = new pg.Client({ connectionString: adminUrl })
  await client.connect()
  try {
    return await use(client)
  } finally {
    await client.end()
  }
}

/** A fresh, empty database on the server of BENCH_DATABASE_URL; `drop` removes it even if clients remain. */
export const createDatabase = async (): Promise<BenchDatabase> => {
  const adminUrl = process.env.BENCH_DATABASE_URL ?? DEFAULT_ADMIN_URL
  const name = `userkit_bench_${Date.now()}_${process.pid}`
  await withAdmin(adminUrl, (client) => client.query(`CREATE DATABASE "${name}"`))
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  return {
    name,
    url: url.toString(),
    drop: async () => {
      await withAdmin(adminUrl, (client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`))
    },
  }
}
