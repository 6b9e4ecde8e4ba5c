import { defineConfig } from "vitest/config"

const project = (name: string, root: string) => ({
  test: {
    name,
    root,
    include: ["**/*.test.ts"],
    exclude: ["**/node_modules/**", "**/build/**"],
    testTimeout: 30_000,
    hookTimeout: 30_000
  }
})

// One project per workspace package, plus the cross-package tests under test/.
export default defineConfig({
  test: {
    // What a passing test logs is noise; a failing test's output is printed with its failure.
    silent: "passed-only",
    projects: [
      project("schema", "packages/schema"),
      project("client", "packages/client"),
      project("legitmark", "packages/legitmark"),
      project("simulator", "packages/simulator"),
      project("cli", "packages/cli"),
      project("workflow", "packages/workflow"),
      project("e2e", "test"),
      project("examples", "examples"),
      project("testing", "testing")
    ]
  }
})
