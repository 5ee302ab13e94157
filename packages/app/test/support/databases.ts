import pg from "pg"

/** The real PostgreSQL to test against, when CI (or a developer) provides one. */
export const testDatabaseUrl = process.env.TEST_DATABASE_URL

/** A new, empty database on the server of `adminUrl`, and a way to drop it. */
export const freshDatabase = async (adminUrl: string) => {
  const name = `userkit_app_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`
  const admin = new pg.Client({ connectionString: adminUrl })
  await admin.connect()
  await admin.query(`CREATE DATABASE ${name}`)
  await admin.end()
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  return {
    name,
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: adminUrl })
      await client.connect()
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      await client.end()
    },
  }
}

/** One statement on the server of `adminUrl`, through a connection of its own (what the app's pool cannot see). */
export const adminQuery = async (adminUrl: string, statement: string, parameters: ReadonlyArray<unknown> = []) => {
  const client = new pg.Client({ connectionString: adminUrl })
  await client.connect()
  try {
    return (await client.query(statement, [...parameters])).rows
  } finally {
    await client.end()
  }
}
