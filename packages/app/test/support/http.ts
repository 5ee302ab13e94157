/** A tiny JSON-over-fetch client for end-to-end tests: status, content type and parsed body. */
export interface Answer {
  readonly status: number
  readonly headers: Headers
  readonly contentType: string
  readonly text: string
  readonly json: Record<string, unknown>
}

const answer = async (response: Response): Promise<Answer> => {
  const text = await response.text()
  let json: Record<string, unknown> = {}
  try {
    json = JSON.parse(text) as Record<string, unknown>
  } catch {}
  return {
    status: response.status,
    headers: response.headers,
    contentType: response.headers.get("content-type") ?? "",
    text,
    json,
  }
}

/** Any method, a JSON body when given, a bearer token when given. */
export const send = async (method: string, url: string, options: { body?: unknown; token?: string } = {}) =>
  answer(
    await fetch(url, {
      method,
      headers: {
        ...(options.body === undefined ? {} : { "content-type": "application/json" }),
        ...(options.token === undefined ? {} : { authorization: `Bearer ${options.token}` }),
      },
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    }),
  )

export const postJson = async (url: string, body: unknown, headers: Record<string, string> = {}) =>
  answer(
    await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify(body),
    }),
  )

export const postForm = async (url: string, fields: Record<string, string>) =>
  answer(await fetch(url, { method: "POST", body: new URLSearchParams(fields) }))

export const get = async (url: string, token?: string) =>
  answer(await fetch(url, token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } }))
