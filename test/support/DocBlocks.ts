/**
 * The code the documentation shows, as modules to type-check and run: every ```ts block of README.md
 * and packages/*\/README.md, and every `@example` of packages/*\/src/*.ts.
 *
 * A README block is a whole module: it is type-checked, then run (with `LEGITMARK_*` pointing at a
 * simulator, from the repository's root) and must exit 0. An HTML comment on the line before its fence
 * says otherwise:
 * - `<!-- docs-check: in client -->`: a fragment, run inside a context that brings the names it uses into
 *   scope (see {@link contexts}); its own imports are hoisted and win over the context's.
 * - `<!-- docs-check: continues -->`: the rest of the block before it in the same file, run together.
 * - `<!-- docs-check: typecheck-only — why -->`: type-checked, not run (the reason is required).
 * An `@example` is type-checked and run the same way (`assert` is `node:assert`, as docgen has it); one
 * that exports `main` has `main` run too.
 */
import { readdirSync, readFileSync } from "node:fs"
import { join, relative } from "node:path"

export type Mode =
  | { readonly _tag: "Run" }
  | { readonly _tag: "In"; readonly context: keyof typeof contexts }
  | { readonly _tag: "Continues" }
  | { readonly _tag: "TypecheckOnly"; readonly reason: string }

export interface Block {
  /** Where it is: `README.md:42`. */
  readonly source: string
  /** A file name for it. */
  readonly name: string
  readonly mode: Mode
  /** The module to check and run. */
  readonly code: string
  readonly run: boolean
  /** Whether the module exports a `main` Effect, to be run as well. */
  readonly exportsMain: boolean
}

const FOOTWEAR = "25ed7133-f230-4d64-850d-0cfc698e2931"
const SNEAKERS = "95e428c2-7c4f-11ef-a623-02595575faeb"

/** Where a fragment runs: the imports it may take for granted, and the code around it. */
export const contexts = {
  client: {
    description:
      "inside `Effect.gen`, with `client` (the `LegitmarkClient`), `sr` (a draft SR for Footwear → Sneakers), " +
      "`uuid` (its uuid) and `sideUuid` (its first required side), on `LegitmarkClient.layerConfig()`",
    imports: {
      Effect: `import { Effect } from "effect"`,
      Layer: `import { Layer } from "effect"`,
      LegitmarkClient: `import { LegitmarkClient } from "@effect-legitmark/client"`,
      AgentHttpClient: `import * as AgentHttpClient from "@effect-legitmark/client/AgentHttpClient"`
    },
    before: [
      "const program = Effect.gen(function*() {",
      "  const client = yield* LegitmarkClient",
      "  const sr = yield* client.serviceRequests.create({",
      `    reference_id: "DOCS-FRAGMENT",`,
      `    item: { category: "${FOOTWEAR}", type: "${SNEAKERS}" }`,
      "  })",
      "  const uuid = sr.uuid",
      "  const sideUuid = (yield* client.serviceRequests.get(uuid, { item: true, sides: true })).sides?.required[0]?.uuid ?? \"\""
    ].join("\n"),
    after: [
      "})",
      "await Effect.runPromise(",
      "  program.pipe(Effect.provide(LegitmarkClient.layerConfig().pipe(Layer.provide(AgentHttpClient.layer))))",
      ")"
    ].join("\n")
  }
} as const

// ---------------------------------------------------------------------------------------------------
// Modules: imports and the rest
// ---------------------------------------------------------------------------------------------------

const importStatement = /^import\s+(?:type\s+)?(?:[\s\S]*?\s+from\s+)?["'][^"']+["'];?[ \t]*(?:\n|$)/

/** A module's leading import statements, and the code after them. */
const splitImports = (code: string): { readonly imports: ReadonlyArray<string>; readonly body: string } => {
  const imports: Array<string> = []
  let rest = code.replace(/^\s+/, "")
  for (let match = importStatement.exec(rest); match !== null; match = importStatement.exec(rest)) {
    imports.push(match[0].trim())
    rest = rest.slice(match[0].length).replace(/^\s*\n/, "")
  }
  return { imports, body: rest }
}

/** The names an import statement binds. */
const boundBy = (statement: string): ReadonlyArray<string> => {
  const clause = /^import\s+(?:type\s+)?([\s\S]*?)\s+from\s+/.exec(statement)?.[1]
  if (clause === undefined) return []
  const names: Array<string> = []
  const named = /\{([\s\S]*)\}/.exec(clause)?.[1]
  for (const part of named?.split(",") ?? []) {
    const name = part.trim().replace(/^type\s+/, "").split(/\s+as\s+/).at(-1)?.trim()
    if (name) names.push(name)
  }
  const outside = clause.replace(/\{[\s\S]*\}/, "").split(",").map((s) => s.trim()).filter((s) => s !== "")
  for (const part of outside) names.push(part.replace(/^\*\s+as\s+/, ""))
  return names
}

/** Imports merged, each name bound once: the first statement binding a name keeps it. */
const mergeImports = (statements: ReadonlyArray<string>): ReadonlyArray<string> => {
  const bound = new Set<string>()
  const kept: Array<string> = []
  for (const statement of statements) {
    const names = boundBy(statement)
    if (names.length > 0 && names.every((name) => bound.has(name))) continue
    for (const name of names) bound.add(name)
    kept.push(statement)
  }
  return kept
}

const wrap = (code: string, context: (typeof contexts)[keyof typeof contexts]) => {
  const { body, imports } = splitImports(code)
  const own = new Set(imports.flatMap(boundBy))
  const given = Object.entries(context.imports).filter(([name]) => !own.has(name)).map(([, statement]) => statement)
  const indented = body.trimEnd().split("\n").map((line) => (line === "" ? line : `  ${line}`)).join("\n")
  return `${mergeImports([...imports, ...given]).join("\n")}\n\n${context.before}\n${indented}\n${context.after}\n`
}

const continued = (previous: string, code: string) => {
  const before = splitImports(previous)
  const after = splitImports(code)
  return `${
    mergeImports([...before.imports, ...after.imports]).join("\n")
  }\n\n${before.body.trimEnd()}\n\n${after.body}`
}

// ---------------------------------------------------------------------------------------------------
// Extraction
// ---------------------------------------------------------------------------------------------------

const marker = /^<!--\s*docs-check:\s*(.*?)\s*-->$/

const modeOf = (comment: string | undefined, source: string): Mode => {
  if (comment === undefined) return { _tag: "Run" }
  const match = marker.exec(comment.trim())
  if (match === null) return { _tag: "Run" }
  const [word = "", ...rest] = match[1]!.split(/\s+/)
  if (word === "continues") return { _tag: "Continues" }
  if (word === "in" && rest[0] !== undefined && rest[0] in contexts) {
    return { _tag: "In", context: rest[0] as keyof typeof contexts }
  }
  if (word === "typecheck-only") {
    const reason = rest.join(" ").replace(/^[—–-]\s*/, "").trim()
    if (reason !== "") return { _tag: "TypecheckOnly", reason }
  }
  throw new Error(`${source}: unknown docs-check marker ${JSON.stringify(comment.trim())}`)
}

const slug = (source: string) => source.replace(/[^A-Za-z0-9]+/g, "_").replace(/^_+|_+$/g, "")

const make = (source: string, mode: Mode, code: string): Block => ({
  source,
  name: slug(source),
  mode,
  code,
  run: mode._tag !== "TypecheckOnly",
  exportsMain: /^export const main\b/m.test(code)
})

/** The ```ts blocks of a Markdown file, with their markers applied. */
export const markdownBlocks = (file: string, text: string): ReadonlyArray<Block> => {
  const lines = text.split("\n")
  const blocks: Array<Block> = []
  let previous: string | undefined
  for (let i = 0; i < lines.length; i++) {
    if (!/^```(ts|typescript)\s*$/.test(lines[i]!)) continue
    const start = i
    const body: Array<string> = []
    for (i++; i < lines.length && !/^```\s*$/.test(lines[i]!); i++) body.push(lines[i]!)
    const source = `${file}:${start + 1}`
    // The marker is the line before the fence (a blank line between is allowed).
    const before = [lines[start - 1], lines[start - 2]].find((line) => line !== undefined && line.trim() !== "")
    const mode = modeOf(before?.startsWith("<!--") ? before : undefined, source)
    const raw = `${body.join("\n")}\n`
    const code = mode._tag === "In" ?
      wrap(raw, contexts[mode.context]) :
      mode._tag === "Continues" ?
      continued(previous ?? raise(`${source}: "continues" with no block before it`), raw) :
      raw
    blocks.push(make(source, mode, code))
    previous = code
  }
  return blocks
}

/** The `@example` blocks of a TypeScript source file. */
export const exampleBlocks = (file: string, text: string): ReadonlyArray<Block> => {
  const lines = text.split("\n")
  const blocks: Array<Block> = []
  for (let i = 0; i < lines.length; i++) {
    if (!/^\s*\*\s*@example\s*$/.test(lines[i]!)) continue
    for (i++; i < lines.length && !/^\s*\*\s*```(ts|typescript)\s*$/.test(lines[i]!); i++);
    const start = i
    const body: Array<string> = []
    for (i++; i < lines.length && !/^\s*\*\s*```\s*$/.test(lines[i]!); i++) {
      body.push(lines[i]!.replace(/^\s*\* ?/, ""))
    }
    const raw = `${body.join("\n")}\n`
    const code = /\bassert\./.test(raw) && !/import .*\bassert\b/.test(raw) ?
      `import * as assert from "node:assert"\n${raw}` :
      raw
    blocks.push(make(`${file}:${start + 1}`, { _tag: "Run" }, code))
  }
  return blocks
}

const raise = (message: string): never => {
  throw new Error(message)
}

/** Every block of the repository at `root`. */
export const collect = (root: string): ReadonlyArray<Block> => {
  const packages = readdirSync(join(root, "packages"), { withFileTypes: true }).filter((d) => d.isDirectory())
  const readmes = ["README.md", ...packages.map((d) => join("packages", d.name, "README.md"))]
  const sources = packages.flatMap((d) =>
    readdirSync(join(root, "packages", d.name, "src")).filter((f) => f.endsWith(".ts")).map((f) =>
      join("packages", d.name, "src", f)
    )
  )
  return [
    ...readmes.flatMap((file) => markdownBlocks(file, readFileSync(join(root, file), "utf8"))),
    ...sources.flatMap((file) => exampleBlocks(file, readFileSync(join(root, file), "utf8")))
  ]
}

/** The READMEs checked, for their links. */
export const readmes = (root: string): ReadonlyArray<string> => [
  "README.md",
  ...readdirSync(join(root, "packages"), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) =>
    relative(root, join(root, "packages", d.name, "README.md"))
  )
]

/** The files a block's directory holds: its module, and a runner for its `main` if it has one. */
export const files = (block: Block): ReadonlyArray<readonly [string, string]> => [
  [`${block.name}.ts`, `// ${block.source}\n${block.code}`],
  ...(block.exportsMain ?
    [
      [
        `${block.name}.main.ts`,
        `import * as Effect from "effect/Effect"\nimport { main } from "./${block.name}.js"\n\nawait Effect.runPromise(main)\n`
      ] as const
    ] :
    [])
]

/** The module to run for a block. */
export const entry = (block: Block): string => block.exportsMain ? `${block.name}.main.ts` : `${block.name}.ts`

/** The tsconfig the blocks are checked with: the repository's settings, less the unused-name rules. */
export const tsconfig = (base: string) =>
  JSON.stringify(
    {
      extends: base,
      include: ["*.ts"],
      compilerOptions: {
        composite: false,
        incremental: false,
        declaration: false,
        declarationMap: false,
        emitDeclarationOnly: false,
        noEmit: true,
        noUnusedLocals: false,
        noUnusedParameters: false
      }
    },
    null,
    2
  )
