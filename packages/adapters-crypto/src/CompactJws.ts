import { createHmac, type KeyObject, sign } from "node:crypto"
import type { JWTPayload } from "jose"

/** The protected header of a token this service signs. */
export interface ProtectedHeader {
  readonly alg: "EdDSA" | "HS256"
  readonly kid?: string
  readonly typ: string
}

const base64url = (text: string) => Buffer.from(text, "utf8").toString("base64url")

/**
 * A JWS in compact serialization (RFC 7515 §7.1), as jose's SignJWT makes it, signed at once on
 * this thread. jose signs through WebCrypto, which runs each signature as a job on libuv's pool and
 * answers on a later turn of the event loop: a wake-up of the loop per token, costly on a machine
 * whose cores are busy hashing passwords. An Ed25519 signature or an HMAC takes tens of
 * microseconds, so it is made here. Verification stays with jose: only our own claims pass here.
 */
export const signCompact = (header: ProtectedHeader, payload: JWTPayload, key: KeyObject): string => {
  const input = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(payload))}`
  const signature =
    header.alg === "EdDSA"
      ? sign(null, Buffer.from(input, "ascii"), key)
      : createHmac("sha256", key).update(input).digest()
  return `${input}.${signature.toString("base64url")}`
}
