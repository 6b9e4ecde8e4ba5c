/**
 * The published full-SR answer (`GET /api/v2/sr/{uuid}?summary&item&sides&requirements`), from the
 * project's fixtures, as the static server sends it.
 */
import { readFileSync } from "node:fs"

interface Payload {
  readonly kind: string
  readonly endpoint: string
  readonly status: number | null
  readonly body: unknown
}

const payloads = JSON.parse(
  readFileSync(new URL("../../test/fixtures/payloads.json", import.meta.url), "utf8")
) as ReadonlyArray<Payload>

const full = payloads.find((p) => p.kind === "response" && /GET .*\/api\/v2\/sr\/[^/]+\?.*item=true/.test(p.endpoint))
if (full === undefined) throw new Error("no full-SR response in test/fixtures/payloads.json")

/** The body, serialized once. */
export const fullServiceRequestBody: string = JSON.stringify(full.body)

/** The SR's uuid, as the client is asked for it. */
export const srUuid = "8e61c991-553a-4a58-9eb6-561b64c11908"
