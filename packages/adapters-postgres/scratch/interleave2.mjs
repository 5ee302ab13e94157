import { PGlite } from "@electric-sql/pglite"
import { PGLiteSocketServer } from "@electric-sql/pglite-socket"
import pg from "/work/main/node_modules/.pnpm/pg@8.23.1/node_modules/pg/lib/index.js"
const t0 = Date.now()
const db = await PGlite.create()
console.log("pglite up", Date.now() - t0)
const server = new PGLiteSocketServer({ db, port: 0, host: "127.0.0.1", maxConnections: 8 })
await server.start()
const [host, port] = server.getServerConn().split(":")
const pool = new pg.Pool({ host, port: Number(port), user: "postgres", database: "postgres", max: 4 })
let bad = 0, errs = 0
await Promise.all(Array.from({ length: 400 }, async (_, i) => {
  try {
  if (i % 2) {
    const r = await pool.query("select $1::int as v, $2::text as s", [i, "x" + i])
    if (r.rows[0].v !== i || r.rows[0].s !== "x" + i) bad++
  } else {
    const r = await pool.query("select $1::text as other", ["o" + i])
    if (r.rows[0].other !== "o" + i) bad++
  }
  } catch (e) { errs++; if (errs < 3) console.log(e.message) }
}))
console.log("bad", bad, "errs", errs)
await pool.end(); await server.stop(); await db.close()
console.log("done", Date.now() - t0)
