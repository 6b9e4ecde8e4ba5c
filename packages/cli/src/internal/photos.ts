/**
 * Photos on the command line: `SIDE=PATH`, or `PATH` with the side read from the file name. Everything
 * here is checked locally, before any request.
 */
import * as Photo from "@effect-legitmark/client/Photo"
import type { Side } from "@effect-legitmark/schema/Side"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Effect from "effect/Effect"
import * as Ref from "effect/Ref"
import * as Stream from "effect/Stream"
import type { CliError } from "../CliError.js"
import * as Failure from "./failure.js"

/** One photo argument as typed. */
export interface PhotoArg {
  readonly arg: string
  /** The side as named before `=`, if it was. */
  readonly side: string | undefined
  readonly path: string
}

/** `SIDE=PATH` splits at the first `=`; anything else is a path. */
export const parse = (arg: string): Effect.Effect<PhotoArg, CliError> => {
  const at = arg.indexOf("=")
  if (at === -1) return Effect.succeed({ arg, side: undefined, path: arg })
  const side = arg.slice(0, at).trim()
  const path = arg.slice(at + 1)
  return side === "" || path === "" ?
    Effect.fail(Failure.input(`photo "${arg}": write SIDE=PATH, e.g. "Outer Sides=./outer.jpg"`)) :
    Effect.succeed({ arg, side, path })
}

/** A photo read from disk and checked (kind, size, dimensions), still without its side. */
export interface LoadedPhoto extends PhotoArg {
  readonly photo: Photo.Photo
}

/** Reads the head of the file and checks it as the client would before an upload. */
export const load = (arg: PhotoArg): Effect.Effect<LoadedPhoto, CliError, FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const exists = yield* Effect.orElseSucceed(fs.exists(arg.path), () => false)
    if (!exists) return yield* Failure.input(`photo ${arg.path}: no such file`)
    const photo = yield* Photo.fromPath(arg.path).pipe(Effect.mapError(Failure.fromLegitmarkError))
    return { ...arg, photo }
  })

// Lower case, split at anything but letters and digits, and a plural's "s" dropped: sole.jpg is "Soles".
const words = (text: string): ReadonlyArray<string> =>
  text.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter((word) => word !== "").map((word) =>
    word.length > 3 && word.endsWith("s") && !word.endsWith("ss") ? word.slice(0, -1) : word
  )

const stem = (path: string): string => {
  const name = path.slice(Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\")) + 1)
  const dot = name.lastIndexOf(".")
  return dot > 0 ? name.slice(0, dot) : name
}

type Match =
  | { readonly _tag: "Found"; readonly side: Side }
  | { readonly _tag: "None" }
  | { readonly _tag: "Ambiguous"; readonly sides: ReadonlyArray<Side> }

/**
 * The side `query` names: its uuid, its name (case, spaces and punctuation aside: `outer-sides` is
 * "Outer Sides"), or words that occur in one side's name only (`size-tag` is "Interior Size Tag or Stamp").
 */
export const match = (query: string, sides: ReadonlyArray<Side>): Match => {
  const byUuid = sides.find((side) => side.uuid.toLowerCase() === query.trim().toLowerCase())
  if (byUuid !== undefined) return { _tag: "Found", side: byUuid }
  const wanted = words(query)
  if (wanted.length === 0) return { _tag: "None" }
  const exact = sides.find((side) => words(side.name).join(" ") === wanted.join(" "))
  if (exact !== undefined) return { _tag: "Found", side: exact }
  const partial = sides.filter((side) => {
    const have = new Set(words(side.name))
    return wanted.every((word) => have.has(word))
  })
  return partial.length === 1 ?
    { _tag: "Found", side: partial[0]! } :
    partial.length === 0 ?
    { _tag: "None" } :
    { _tag: "Ambiguous", sides: partial }
}

const names = (sides: ReadonlyArray<Side>) => sides.map((side) => side.name).join(", ")

/**
 * Gives every photo its side, or fails with the first photo that names no side, could be several, or
 * shares its side with another photo.
 */
export const assign = (
  photos: ReadonlyArray<LoadedPhoto>,
  sides: ReadonlyArray<Side>,
  item: string
): Effect.Effect<ReadonlyArray<readonly [Side, LoadedPhoto]>, CliError> =>
  Effect.gen(function*() {
    const assigned = new Map<string, readonly [Side, LoadedPhoto]>()
    for (const photo of photos) {
      const result = match(photo.side ?? stem(photo.path), sides)
      if (result._tag === "Ambiguous") {
        return yield* Failure.input(
          `photo ${photo.arg}: "${photo.side ?? stem(photo.path)}" could be ${
            names(result.sides)
          }; name the side in full`
        )
      }
      if (result._tag === "None") {
        return yield* Failure.input(
          photo.side === undefined ?
            `photo ${photo.path}: cannot tell which side it shows; write SIDE=${photo.path} (sides of ${item}: ${
              names(sides)
            })` :
            `photo ${photo.arg}: ${item} has no side "${photo.side}" (sides: ${names(sides)})`
        )
      }
      const before = assigned.get(result.side.uuid)
      if (before !== undefined) {
        return yield* Failure.input(`two photos for ${result.side.name}: ${before[1].arg} and ${photo.arg}`)
      }
      assigned.set(result.side.uuid, [result.side, photo])
    }
    return [...assigned.values()]
  })

/**
 * The photo with its bytes counted as the upload pulls them; an attempt that is retried counts from zero.
 */
export const counted = (photo: Photo.Photo, sent: Ref.Ref<number>): Photo.Photo => ({
  ...photo,
  stream: Stream.unwrap(
    Effect.as(
      Ref.set(sent, 0),
      photo.stream.pipe(Stream.tap((chunk) => Ref.update(sent, (n) => n + chunk.byteLength)))
    )
  )
})
