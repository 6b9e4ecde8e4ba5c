import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"

export interface Fixture {
  readonly source: string
  readonly endpoint: string
  readonly kind: "request" | "response" | "error" | "webhook"
  readonly status: number | null
  readonly body: unknown
}

export const fixtures: ReadonlyArray<Fixture> = JSON.parse(
  readFileSync(fileURLToPath(new URL("../../../../test/fixtures/payloads.json", import.meta.url)), "utf8")
)

const find = (predicate: (f: Fixture) => boolean): unknown => {
  const found = fixtures.find(predicate)
  if (found === undefined) throw new Error("fixture not found")
  return found.body
}

export const createResponse = find((f) => f.kind === "response" && f.endpoint.startsWith("POST"))
export const getResponse = find((f) => f.kind === "response" && f.endpoint.includes("requirements=true"))
export const validationError = find((f) => f.kind === "error" && f.status === 400)
export const authError = find((f) => f.kind === "error" && f.status === 401)
export const rateLimitBody = find((f) => f.kind === "error" && f.status === 429 && f.endpoint.startsWith("POST"))
export const submitResponse = {
  success: true,
  message: "Service request submitted.",
  sr: { uuid: "8e61c991-553a-4a58-9eb6-561b64c11908", micro_id: "178168", state: { primary: "QC", supplement: null } }
}
export const progressResponse = find((f) => f.kind === "response" && f.endpoint.includes("progress"))
