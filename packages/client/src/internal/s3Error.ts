/**
 * The error body of a storage host (S3 and its look-alikes) refusing a presigned upload:
 * `<Error><Code>…</Code><Message>…</Message><RequestId>…</RequestId></Error>`. Read with a few bounded
 * patterns rather than an XML parser: only those three elements are wanted, and nothing else of the
 * body (S3 may echo the string it signed) is kept.
 */
import type { FieldError } from "@effect-legitmark/schema/ErrorBody"

/** What the storage host said. */
export interface S3Error {
  readonly code: string
  readonly message: string | undefined
  readonly requestId: string | undefined
}

// An S3 error body is a few hundred bytes; only the start of a longer one is looked at.
const maxScanned = 16 * 1024

const entities: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: "\"", apos: "'" }

const unescape = (text: string) =>
  text.replace(/&(amp|lt|gt|quot|apos|#\d{1,7}|#x[0-9a-f]{1,6});/gi, (entity, name: string) => {
    const lower = name.toLowerCase()
    if (lower.startsWith("#")) {
      const point = lower.startsWith("#x") ? parseInt(lower.slice(2), 16) : parseInt(lower.slice(1), 10)
      return point <= 0x10ffff ? String.fromCodePoint(point) : entity
    }
    return entities[lower] ?? entity
  })

const element = (xml: string, name: string): string | undefined => {
  const match = new RegExp(`<${name}>([^<]{0,2048})</${name}>`).exec(xml)
  return match?.[1] === undefined ? undefined : unescape(match[1]).trim()
}

/** The storage host's error, if `text` is an S3-style `<Error>` document with a `Code`. */
export const parse = (text: string): S3Error | undefined => {
  const xml = text.slice(0, maxScanned)
  if (!/^\s*(<\?xml[^>]{0,200}\?>\s*)?<Error>/.test(xml)) return undefined
  const code = element(xml, "Code")
  if (code === undefined || code === "") return undefined
  return { code, message: element(xml, "Message"), requestId: element(xml, "RequestId") }
}

/** The storage host's refusal as the API's own error detail: its code, and its message as the one issue. */
export const asApiError = (
  error: S3Error
): { readonly message?: string; readonly details: string; readonly errors: ReadonlyArray<FieldError> } => {
  const issue = error.message === undefined ? { code: error.code } : { code: error.code, message: error.message }
  return { ...(error.message === undefined ? {} : { message: error.message }), details: error.code, errors: [issue] }
}
