/**
 * The published example payloads (`test/fixtures/payloads.json`), picked by what they are.
 */
import { readFileSync } from "node:fs"

export interface Payload {
  readonly source: string
  readonly endpoint: string
  readonly kind: "request" | "response" | "error" | "webhook"
  readonly status: number | null
  readonly body: unknown
}

const payloads: ReadonlyArray<Payload> = JSON.parse(
  readFileSync(new URL("../fixtures/payloads.json", import.meta.url), "utf8")
)

const find = (description: string, predicate: (payload: Payload) => boolean): unknown => {
  const found = payloads.find(predicate)
  if (found === undefined) throw new Error(`no ${description} in fixtures/payloads.json`)
  return found.body
}

/** `POST /api/v2/sr` 200: a DRAFT SR `a1b2c3d4-…` echoing `ITEM-2024-0891`. */
export const createResponse = find(
  "create response",
  (p) => p.kind === "response" && p.status === 200 && p.endpoint.startsWith("POST") && p.endpoint.endsWith("/api/v2/sr")
)

/** `GET /api/v2/sr/8e61c991-…?summary&item&sides&requirements` 200: a COMPLETE/APPROVED SR. */
export const getResponse = find(
  "get response",
  (p) => p.kind === "response" && p.status === 200 && p.endpoint.includes("requirements=true")
)

/** 400 with `errors: [{ code: "validation/missing-field", … }]`. */
export const validationError = find("400 error", (p) => p.kind === "error" && p.status === 400)

/** 401 with `details: "authorization/missing_token"`. */
export const authenticationError = find("401 error", (p) => p.kind === "error" && p.status === 401)

/** 429 with `details: "error/rate_limit_exceeded"` (a string). */
export const rateLimitStringBody = find(
  "429 error with string details",
  (p) =>
    p.kind === "error" && p.status === 429 && typeof p.body === "object" && p.body !== null &&
    !JSON.stringify(p.body).includes("limit_type")
)

/** 429 with the documented `details` object (`partner_level`, limit 1000, retry after 60 s). */
export const rateLimitDetailsBody = find(
  "429 error with details object",
  (p) => p.kind === "error" && p.status === 429 && JSON.stringify(p.body).includes("limit_type")
)

/** The answer to `POST /api/v2/sr/{uuid}/submit` as seen in the workflow guide. */
export const submitResponse = {
  success: true,
  message: "Service request submitted.",
  sr: { uuid: "8e61c991-553a-4a58-9eb6-561b64c11908", micro_id: "178168", state: { primary: "QC", supplement: null } }
}
