/**
 * The baseline of `client-agent.ts`: the same bundled application on axios (the official SDK's transport).
 *
 *   node build/bundled/axios.mjs --url http://127.0.0.1:PORT
 */
import axios from "axios"
import { args, maxRssMb, report, str } from "../../lib/protocol.js"

const imported = performance.now()
const url = str(args(), "url")
await axios.get(
  `${url}/api/v2/sr/8e61c991-553a-4a58-9eb6-561b64c11908?summary=true&item=true&sides=true&requirements=true`,
  { headers: { accept: "application/json", authorization: "Bearer leo_bench", "user-agent": "bench" } }
)
report({
  case: "cold",
  impl: "bundled:axios",
  readyMs: imported,
  importedMs: imported,
  firstResponseMs: performance.now(),
  maxRssMb: maxRssMb()
})
process.exit(0)
