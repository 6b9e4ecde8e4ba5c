/**
 * The upload plan against an in-memory server holding any set of photos, shown per side or only
 * counted: what is sent, and when the submit gate opens.
 */
import { Progress, type ProgressResponse } from "@effect-legitmark/schema/Progress"
import { Side } from "@effect-legitmark/schema/Side"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as FastCheck from "effect/FastCheck"
import * as UploadPlan from "../src/internal/uploadPlan.js"

interface Slot {
  /** The caller gave a photo for it. */
  readonly photo: boolean
  /** The server has one before the call. */
  readonly up: boolean
}

const slot = FastCheck.record({ photo: FastCheck.boolean(), up: FastCheck.boolean() })
const world = FastCheck.record({
  required: FastCheck.array(slot, { minLength: 1, maxLength: 4 }),
  optional: FastCheck.array(slot, { maxLength: 4 }),
  shown: FastCheck.boolean()
})

/** Runs `settle` against a server holding `up`; answers what was sent and what the server holds after. */
const run = (w: FastCheck.RecordValue<{ required: Array<Slot>; optional: Array<Slot>; shown: boolean }>) => {
  const side = (kind: string, i: number, s: Slot) =>
    new Side({
      uuid: `${kind}-${i}`,
      name: `${kind} ${i}`,
      ...(w.shown ? { media_url: s.up ? [{ url: `https://media/${kind}-${i}` }] : [] } : {})
    })
  const required = w.required.map((s, i) => side("required", i, s))
  const optional = w.optional.map((s, i) => side("optional", i, s))
  const slots = new Map([
    ...required.map((s, i) => [s.uuid, w.required[i]!] as const),
    ...optional.map((s, i) => [s.uuid, w.optional[i]!] as const)
  ])
  const server = new Set([...slots].filter(([, s]) => s.up).map(([uuid]) => uuid))
  const sent: Array<string> = []
  const readProgress = Effect.sync((): ProgressResponse => {
    const current = (sides: ReadonlyArray<Side>) => sides.filter((s) => server.has(s.uuid)).length
    const currentRequired = current(required)
    return {
      progress: new Progress({
        current_required: currentRequired,
        total_required: required.length,
        current_optional: current(optional),
        total_optional: optional.length,
        met: currentRequired === required.length
      })
    }
  })
  const input: UploadPlan.Input = {
    required,
    optional,
    withPhoto: (s) => slots.get(s.uuid)!.photo,
    known: new Map([...required, ...optional].map((s) => [s.uuid, UploadPlan.knownFromMedia(s)]))
  }
  return Effect.gen(function*() {
    const counts = w.shown ? undefined : yield* readProgress
    const first = UploadPlan.plan(input, counts && UploadPlan.usableCounts(counts))
    if (first.missing.length > 0) return { missing: first.missing, sent, server, settled: undefined }
    const settled = yield* UploadPlan.settle({
      input,
      first,
      counts,
      readProgress,
      upload: (sides) =>
        Effect.sync(() => {
          for (const s of sides) {
            sent.push(s.uuid)
            server.add(s.uuid)
          }
        })
    })
    return { missing: first.missing, sent, server, settled }
  }).pipe(Effect.runSync)
}

const submittable = (w: { required: ReadonlyArray<Slot> }) => w.required.every((s) => s.photo || s.up)

describe("UploadPlan", () => {
  it.prop("the gate opens whenever it can; nothing is sent twice, or without a photo", [world], ([w]) => {
    const { missing, sent, settled } = run(w)
    if (!submittable(w)) {
      // Early, or at the gate: never a submit that cannot pass.
      expect(missing.length > 0 || settled?.progress.progress.met === false).toBe(true)
      return
    }
    expect(missing).toEqual([])
    expect(settled?.progress.progress.met).toBe(true)
    expect(new Set(sent).size).toBe(sent.length)
    const photos = [...w.required, ...w.optional].filter((s) => s.photo).length
    expect(sent.length).toBeLessThanOrEqual(photos)
  })

  it.prop("with per-side media, exactly the photos the server lacks are sent", [world], ([w]) => {
    const { sent } = run({ ...w, shown: true })
    const lacking = [
      ...w.required.flatMap((s, i) => s.photo && !s.up ? [`required-${i}`] : []),
      ...w.optional.flatMap((s, i) => s.photo && !s.up ? [`optional-${i}`] : [])
    ]
    if (submittable(w)) expect([...sent].sort()).toEqual(lacking.sort())
  })

  it.prop(
    "counts only, after an earlier call sent the caller's photos in order: nothing is sent again, nothing is left out",
    [world, FastCheck.nat(8), FastCheck.nat(8)],
    ([w, sentRequired, sentOptional]) => {
      // Nothing on the server but the first photos of each kind, as an interrupted in-order call leaves it.
      const inOrder = (slots: ReadonlyArray<Slot>, n: number) => {
        let left = n
        return slots.map((s) => ({ photo: s.photo, up: s.photo && left-- > 0 }))
      }
      const required = inOrder(w.required.map((s) => ({ ...s, photo: true })), sentRequired)
      const optional = inOrder(w.optional, sentOptional)
      const { sent, server, settled } = run({ required, optional, shown: false })
      expect(settled?.progress.progress.met).toBe(true)
      const before = [
        ...required.map((s, i) => [`required-${i}`, s] as const),
        ...optional.map((s, i) => [`optional-${i}`, s] as const)
      ]
      for (const [uuid, s] of before) {
        if (s.up) expect(sent).not.toContain(uuid)
        if (s.photo) expect(server.has(uuid)).toBe(true)
      }
    }
  )

  it("counts the server flagged as incomplete are not trusted: every photo not shown is sent", () => {
    const answer: ProgressResponse = {
      progress: new Progress({
        current_required: 2,
        total_required: 2,
        current_optional: 0,
        total_optional: 0,
        met: true
      }),
      warning: "Media count unavailable due to S3 connectivity issues"
    }
    expect(UploadPlan.usableCounts(answer)).toBeUndefined()
    const sides = [new Side({ uuid: "a", name: "A" }), new Side({ uuid: "b", name: "B" })]
    const plan = UploadPlan.plan(
      { required: sides, optional: [], withPhoto: () => true, known: new Map([["a", "unknown"], ["b", "unknown"]]) },
      UploadPlan.usableCounts(answer)
    )
    expect(plan.upload.map((s) => s.uuid)).toEqual(["a", "b"])
  })
})
