export type Json = Record<string, unknown>

export const isJson = (u: unknown): u is Json => typeof u === "object" && u !== null && !Array.isArray(u)
export const values = (u: unknown): ReadonlyArray<Json> => (isJson(u) ? Object.values(u).filter(isJson) : [])
const isDecodeError = (schema: unknown): boolean =>
  isJson(schema) && schema.$ref === "#/components/schemas/HttpApiDecodeError"

/** What one error response promises, without the platform's HttpApiDecodeError. */
const cleaned = (response: Json): Json | undefined => {
  const content = isJson(response.content) ? response.content["application/json"] : undefined
  const schema = isJson(content) ? content.schema : undefined
  if (!isJson(content) || !isJson(schema)) return response
  const members: ReadonlyArray<unknown> = Array.isArray(schema.anyOf) ? schema.anyOf : [schema]
  const rest = members.filter((member) => !isDecodeError(member))
  if (rest.length === members.length) return response
  if (rest.length === 0) return undefined
  const kept = rest.length === 1 ? rest[0] : { anyOf: rest }
  return { ...response, content: { "application/problem+json": { ...content, schema: kept } } }
}

/**
 * Every HttpApi documents the platform's HttpApiDecodeError as a 400 on every endpoint, but this
 * API answers schema failures with a 422 problem (see problems/InvalidPayload.ts): drop it, so the
 * document promises only what is sent. The spec arrives untyped (`OpenApi.Transform`), hence the guards.
 */
export const withoutDecodeError = (spec: Json): Json => {
  for (const pathItem of values(spec.paths)) {
    for (const operation of values(pathItem)) {
      const responses = operation.responses
      const badRequest = isJson(responses) ? responses["400"] : undefined
      if (!isJson(responses) || !isJson(badRequest)) continue
      const response = cleaned(badRequest)
      if (response === undefined) delete responses["400"]
      else responses["400"] = response
    }
  }
  const schemas = isJson(spec.components) ? spec.components.schemas : undefined
  if (!isJson(schemas)) return spec
  delete schemas.HttpApiDecodeError
  // The schemas only it used, unless something else still refers to them.
  for (const name of ["Issue", "PropertyKey"]) {
    if (!JSON.stringify(spec).includes(`"#/components/schemas/${name}"`)) delete schemas[name]
  }
  return spec
}

const LOGIN_PATH = "/api/v1/auth/login"

/**
 * The platform documents bearer security as plain HTTP bearer; this API is an OAuth2 password
 * flow, which lets Swagger UI's Authorize button log in through the login endpoint. Secured
 * operations already name the scheme (`bearerSecurity` in security/Authentication.ts); only its definition changes.
 */
export const withOAuth2PasswordFlow = (spec: Json): Json => {
  const schemes = isJson(spec.components) ? spec.components.securitySchemes : undefined
  if (isJson(schemes) && schemes.OAuth2PasswordBearer !== undefined)
    schemes.OAuth2PasswordBearer = {
      type: "oauth2",
      description: "Log in with an email or username and a password; send the token as `Authorization: Bearer`.",
      flows: { password: { tokenUrl: LOGIN_PATH, scopes: {} } },
    }
  return spec
}
