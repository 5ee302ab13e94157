import { PGlite } from "@electric-sql/pglite"
import { PGLiteSocketServer } from "@electric-sql/pglite-socket"
import pg from "/work/main/node_modules/.pnpm/pg@8.23.1/node_modules/pg/lib/index.js"
const t0 = Date.now()
const db = await PGlite.create()
console.log("pglite up", Date.now() - t0)
const server = new PGLiteSocketServer({ db, port: 0, host: "127.0.0.1", maxConnections: 8 })
await server.start()
const [host, port] = server.getServerConn().split(":")
console.log(host, port)
const pool = new pg.Pool({ host, port: Number(port), user: "postgres", database: "postgres", max: 4, options: "-c search_path=foo" })
console.log(await pool.query("show search_path").then(r => r.rows))
const c = await pool.connect(); console.log("pid", c.processID); c.release()
let bad = 0
await Promise.all(Array.from({ length: 200 }, async (_, i) => {
  const r = await pool.query("select $1::int as v, $2::text as s", [i, "x" + i])
  if (r.rows[0].v !== i || r.rows[0].s !== "x" + i) { bad++ }
}))
console.log("bad", bad)
// transactions concurrency
await pool.query("create table t(x int)")
const a = await pool.connect(), b = await pool.connect()
await a.query("begin"); await a.query("insert into t values (1)")
const bp = b.query("select count(*) from t").then(r => { console.log("b sees", r.rows[0]); return r })
await new Promise(r => setTimeout(r, 200))
console.log("a commit"); await a.query("commit"); await bp
a.release(); b.release()
// session-level advisory locks across connections
const c1 = await pool.connect(), c2 = await pool.connect()
console.log(await c1.query("select pg_advisory_lock(42)").then(() => "c1 locked"))
console.log(await Promise.race([c2.query("select pg_try_advisory_lock(42) as got").then(r => r.rows), new Promise(r => setTimeout(() => r("timeout"), 500))]))
c1.release(); c2.release()
await pool.end(); await server.stop(); await db.close()
console.log("done", Date.now() - t0)
