import { expect, layer } from "@effect/vitest"
import { Effect } from "effect"
import { send } from "../support/Http.js"
import { testApp } from "../support/TestApp.js"

layer(testApp(), { excludeTestServices: true })("the documentation page", (it) => {
  it.effect("serves the same document in the /docs page", () =>
    Effect.gen(function* () {
      const page = yield* send("/docs")
      expect(page.status).toBe(200)
      expect(page.text).toContain('"tokenUrl":"/api/v1/auth/login"')
      expect(page.text).toContain("/api/v1/admin/users/{id}")
    }),
  )
  it.effect("GET /docs serves the page with a strict content security policy, its scripts from this server", () =>
    Effect.gen(function* () {
      const answer = yield* send("/docs")
      expect(answer.status).toBe(200)
      expect(answer.headers.get("content-type")).toContain("text/html")
      const policy = answer.headers.get("content-security-policy") ?? ""
      expect(policy).toContain("frame-ancestors 'none'")
      expect(policy).toMatch(/script-src 'self'(;|$)/)
      expect(policy).not.toContain("unsafe")
      expect(policy).not.toMatch(/https?:/)
      // Every script is a file of this server's or inert JSON: nothing inline for the policy to allow.
      const scripts = answer.text.match(/<script[^>]*>/g) ?? []
      expect(scripts.length).toBeGreaterThanOrEqual(2)
      for (const tag of scripts) expect(tag).toMatch(/src="\/docs\/assets\/[\w.-]+\.js"|type="application\/json"/)
      expect(answer.text).not.toMatch(/(src|href)=["']?(https?:)?\/\//)
      // The document itself is inline, Swagger UI's 2 MB are not.
      expect(answer.text.length).toBeLessThan(500_000)
    }),
  )

  it.effect("GET /docs and its assets can be cached: hashed assets for a year, the page revalidated by ETag", () =>
    Effect.gen(function* () {
      const page = yield* send("/docs")
      const etag = page.headers.get("etag") ?? ""
      expect(etag).toMatch(/^"[\w-]+"$/)
      expect(page.headers.get("cache-control")).toBe("no-cache")
      const unchanged = yield* send("/docs", { headers: { "if-none-match": etag } })
      expect(unchanged.status).toBe(304)
      expect(unchanged.text).toBe("")

      const assets = Array.from(page.text.matchAll(/(?:src|href)="(\/docs\/assets\/[^"]+)"/g), (m) => m[1] ?? "")
      expect(assets).toHaveLength(3)
      let bytes = 0
      for (const path of assets) {
        const first = yield* send(path)
        expect(first.status, path).toBe(200)
        expect(first.headers.get("cache-control"), path).toBe("public, max-age=31536000, immutable")
        bytes += first.text.length
        const again = yield* send(path, { headers: { "if-none-match": first.headers.get("etag") ?? "" } })
        expect(again.status, path).toBe(304)
        expect(again.text, path).toBe("")
      }
      expect(bytes).toBeGreaterThan(1_000_000)
      expect((yield* send("/docs/assets/swagger-ui-bundle.0000000000000000.js")).status).toBe(404)
    }),
  )
})
