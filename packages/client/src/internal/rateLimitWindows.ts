/**
 * The rate limiter's state machine for one API key: the server's windows as this process knows them, and
 * the permits in flight. Pure: plain data in (the time, an answer, what the store said), plain data out
 * (the next state and what to do), so that tests drive it without fibers or clocks. The Effect shell in
 * `RateLimiter.ts` keeps the state, sleeps, and talks to the store. `docs/rate-limiter.md` explains the
 * design.
 *
 * @internal
 */
import * as Duration from "effect/Duration"
import type { Answer, Level } from "../RateLimiter.js"

/** What the limiter is told up front. */
export interface Config {
  /** The server's window length when given; learned otherwise. */
  readonly windowMs: number | undefined
  /** A limit to count by until an answer reports one. */
  readonly initialLimit: number | undefined
  /** The share of each window's limit to use, in [0.01, 1]. */
  readonly utilization: number
}

/** One of the server's windows, as this process knows it. Times are epoch ms on the limiter's clock. */
export interface Window {
  /** Its reset as the server reported it: it names the window. */
  readonly reset: number
  /** The store key its permits are counted under. */
  readonly name: string
  /** Made up (aligned to the clock) because the answers carry no reset: nothing is learned from it. */
  readonly synthetic: boolean
  /** When its first answer arrived: it had begun by then. */
  readonly seenAt: number
  /** When this process sent the request that opened it: it began after. */
  readonly openedAt: number | undefined
  /** It is over by then: the reset, or sooner by a `Retry-After`. */
  readonly endBy: number
  /** The fewest requests it had left, by the server's count. */
  readonly remaining: number
  /** Nothing more may be sent in it: the server or the store said so. */
  readonly spent: boolean
  /** A request has been sent before its end to see whether it was over. */
  readonly probed: boolean
  /** The store refused a lease of several permits: take them one at a time. */
  readonly single: boolean
}

/** The permit for one request, from its decision until its answer (or the lack of one) is observed. */
export interface Permit {
  readonly id: number
  readonly sentAt: number
  /** The store key it was counted under; undefined if it was not counted (it opens a window). */
  readonly name: string | undefined
  /** Sent before the window in force was surely over. */
  readonly early: boolean
}

export interface State {
  readonly key: string
  readonly config: Config
  /** The lowest limit of the last answer that reported one. */
  readonly limit: number | undefined
  /** The server's window length lies in (windowLow, windowHigh], as measured on this clock. */
  readonly windowLow: number
  readonly windowHigh: number
  /** Whether the reset headers are read as times on this clock (until they contradict what is seen). */
  readonly trustHeaders: boolean
  /** The window of the latest answer. */
  readonly current: Window | undefined
  /** Permits of `current` taken from the store and not yet handed out. */
  readonly leased: number
  /** The window whose lease is being taken from the store: its callers wait for it, not take their own. */
  readonly leasing: string | undefined
  /** Permits whose answer has not been observed, oldest first. */
  readonly inFlight: ReadonlyArray<Permit>
  /** Every caller waits until then (a level other than the counted one is spent, or a bare 429). */
  readonly holdUntil: number
  /** The request opening a window, while it is unanswered. */
  readonly opening: Permit | undefined
  /** The id of the next permit. */
  readonly issued: number
}

/** Permits to count in the store under `name`: granted if the count stays within `limit`. */
export interface Count {
  readonly name: string
  readonly tokens: number
  readonly limit: number | undefined
  /** How long the store should keep the count: past the window's end. */
  readonly ttlMs: number
}

/** What a caller asking for a permit does next. */
export type Decision =
  /** Send the request now. */
  | { readonly _tag: "Send"; readonly permit: Permit }
  /** Ask again at `until`, or sooner when something changes; with `answers`, on any answer. */
  | { readonly _tag: "Wait"; readonly until: number; readonly answers: boolean }
  /** Take `count.tokens` of the window's permits from the shared store; the first is this caller's. */
  | { readonly _tag: "Take"; readonly permit: Permit; readonly window: string; readonly count: Count }
  /** Count the request opening a window under the name that window will most likely have. */
  | { readonly _tag: "Claim"; readonly permit: Permit; readonly reset: number; readonly count: Count }

/** How long callers wait for the answer to a window's first request before another caller sends one. */
export const openerPatienceMs = 30_000
/** A permit whose answer is not observed within this long is no longer counted in flight. */
export const staleMs = 120_000
/** The window length assumed (store expiry, windows made up for answers without a reset) until one is learned. */
export const defaultWindowMs = 60_000

export const config = (options: {
  readonly window?: Duration.DurationInput | undefined
  readonly initialLimit?: number | undefined
  readonly utilization?: number | undefined
}): Config => ({
  windowMs: options.window === undefined ? undefined : Duration.toMillis(options.window),
  initialLimit: options.initialLimit,
  utilization: Math.min(1, Math.max(0.01, options.utilization ?? 1))
})

export const initial = (key: string, config: Config): State => ({
  key,
  config,
  limit: undefined,
  windowLow: config.windowMs ?? 0,
  windowHigh: config.windowMs ?? Infinity,
  trustHeaders: true,
  current: undefined,
  leased: 0,
  leasing: undefined,
  inFlight: [],
  holdUntil: 0,
  opening: undefined,
  issued: 0
})

const budgetOf = (s: State, limit: number) => Math.max(1, Math.floor(limit * s.config.utilization))

const windowGuess = (s: State) => s.config.windowMs ?? (Number.isFinite(s.windowHigh) ? s.windowHigh : defaultWindowMs)

/** The latest the window can end. */
export const endHigh = (s: State, w: Window) => Math.min(w.endBy, w.seenAt + s.windowHigh)

// What is learned of the window's length narrows (windowLow, windowHigh]. Evidence that contradicts it (a
// clock far from the server's) starts over, no longer reading the reset headers as times on this clock.
const narrowed = (s: State, low: number, high: number): State => {
  if (s.config.windowMs !== undefined || (low === s.windowLow && high === s.windowHigh)) return s
  return low >= high
    ? { ...s, trustHeaders: false, windowLow: 0, windowHigh: Infinity }
    : { ...s, windowLow: low, windowHigh: high }
}
const learnLow = (s: State, ms: number) => ms > s.windowLow ? narrowed(s, ms, s.windowHigh) : s
const learnHigh = (s: State, ms: number) => ms < s.windowHigh ? narrowed(s, s.windowLow, ms) : s

/** When to send the request that opens the next window, once `w` is spent. */
const openAt = (s: State, w: Window) => {
  const high = endHigh(s, w)
  if (w.probed || w.openedAt === undefined) return high
  const low = Math.max(w.openedAt + s.windowLow, s.trustHeaders && !w.synthetic ? w.reset - 1000 : -Infinity)
  // While the end is known only roughly, try halfway: the answer (a 429, at most one per window, or one
  // from the next window) halves what is left to learn.
  const precision = Math.max(20, Number.isFinite(s.windowHigh) ? s.windowHigh / 100 : 0)
  return high - low > precision ? low + (high - low) / 2 : high
}

const nameOf = (s: State, reset: number) => `legitmark:${s.key}:${reset}`

const counting = (s: State, name: string, tokens: number, limit: number | undefined, now: number): Count => ({
  name,
  tokens,
  limit,
  // The key must outlive its window.
  ttlMs: Math.max(1000, (s.current === undefined ? now : s.current.endBy) - now) + windowGuess(s)
})

const openWindow = (
  s: State,
  reset: number,
  now: number,
  synthetic: boolean,
  limit: number,
  learnFrom = !synthetic
): State => {
  const previous = s.current
  let next = s
  if (learnFrom) {
    // The previous window ended before this one began, which was before now.
    if (previous !== undefined && !previous.synthetic && reset > previous.reset && previous.openedAt !== undefined) {
      next = learnHigh(next, now - previous.openedAt)
    }
    // The reset is rounded up to a second: the window ends within the second before it.
    if (next.trustHeaders) next = learnLow(next, reset - 1000 - now)
  }
  const current: Window = {
    reset,
    name: nameOf(s, reset),
    synthetic,
    seenAt: now,
    openedAt: undefined,
    endBy: reset,
    remaining: limit,
    spent: false,
    probed: false,
    single: false
  }
  // Whatever the request opening a window was, a window is open now.
  return { ...next, current, leased: 0, opening: undefined }
}

const issue = (s: State, now: number, name: string | undefined, early = false): readonly [State, Permit] => {
  const permit: Permit = { id: s.issued, sentAt: now, name, early }
  return [{ ...s, issued: s.issued + 1, inFlight: [...s.inFlight, permit] }, permit]
}

const isInFlight = (s: State, permit: Permit) => s.inFlight.some((p) => p.id === permit.id)

/** The request is answered, or will not be (`lost`: it may have been counted all the same). */
export const release = (s: State, permit: Permit, lost: boolean): State => {
  if (!isInFlight(s, permit)) return s
  return {
    ...s,
    inFlight: s.inFlight.filter((p) => p.id !== permit.id),
    opening: s.opening?.id === permit.id ? undefined : s.opening,
    current: lost && s.current !== undefined
      ? { ...s.current, remaining: Math.max(0, s.current.remaining - 1) }
      : s.current
  }
}

const prune = (s: State, now: number): State => {
  let next = s
  for (const permit of s.inFlight) {
    if (now - permit.sentAt < staleMs) break
    next = release(next, permit, true)
  }
  return next
}

const wait = (until: number, answers = false): Decision => ({ _tag: "Wait", until, answers })

/**
 * Whether a caller may send at `now`: a permit (`Send`), when to ask again (`Wait`), or permits to take
 * from the store first (`Take`, `Claim`: report the store's answer with {@link counted}).
 * `afterEarly429`: the caller's previous request was sent early and met a 429; it is not sent early again.
 */
export const acquire = (s: State, now: number, afterEarly429 = false): readonly [State, Decision] => {
  if (s.holdUntil > now) return [s, wait(s.holdUntil)]
  const limit = s.limit ?? s.config.initialLimit
  if (limit === undefined) {
    const [next, permit] = issue(s, now, undefined)
    return [next, { _tag: "Send", permit }]
  }
  let w = s.current
  if (w !== undefined && now < endHigh(s, w)) {
    if (!w.spent) {
      // The server's count: what it has left, less what is on its way to it.
      const budget = w.remaining - (limit - budgetOf(s, limit))
      let left = budget - s.inFlight.length
      if (left <= 0) {
        s = prune(s, now)
        left = budget - s.inFlight.length
      }
      if (left > 0) {
        if (s.leased > 0) {
          const [next, permit] = issue({ ...s, leased: s.leased - 1 }, now, w.name)
          return [next, { _tag: "Send", permit }]
        }
        if (s.leasing === w.name) return [s, wait(endHigh(s, w))]
        // The store's count, shared: permits are taken a few at a time when the limit is large.
        const tokens = w.single ? 1 : Math.min(left, Math.max(1, Math.floor(limit / 100)))
        const [next, permit] = issue(tokens > 1 ? { ...s, leasing: w.name } : s, now, w.name)
        const count = counting(next, w.name, tokens, budgetOf(s, limit), now)
        return [next, { _tag: "Take", permit, window: w.name, count }]
      }
      // Requests in flight may yet show there is room; otherwise the window is spent.
      if (budget > 0) return [s, wait(endHigh(s, w), true)]
      w = { ...(s.current ?? w), spent: true }
      s = { ...s, current: w }
    }
    const at = afterEarly429 ? endHigh(s, w) : openAt(s, w)
    if (now < at) return [s, wait(at)]
  }
  // No window is known to be open: one request opens the next, and its answer names it.
  if (s.opening !== undefined && now - s.opening.sentAt < openerPatienceMs) {
    return [s, wait(s.opening.sentAt + openerPatienceMs)]
  }
  const early = w !== undefined && now < endHigh(s, w)
  if (w !== undefined && early) {
    w = { ...w, probed: true }
    s = { ...s, current: w }
  }
  // Sent once the window in force is surely over, with the length known to within a second, the request is
  // counted at once under the name its window will most likely have (its reset, rounded up to a second as
  // the server rounds it): a window another process has opened and spent is then found in the store.
  const reset = !early && w !== undefined && !w.synthetic && w.reset % 1000 === 0 && s.windowHigh - s.windowLow < 1000
    ? Math.ceil((now + (s.windowLow + s.windowHigh) / 2) / 1000) * 1000
    : undefined
  if (reset === undefined || w === undefined || reset <= w.reset) {
    const [next, permit] = issue(s, now, undefined, early)
    return [{ ...next, opening: permit }, { _tag: "Send", permit }]
  }
  const name = nameOf(s, reset)
  const [next, permit] = issue(s, now, name)
  const count = counting(next, name, 1, budgetOf(s, limit), now)
  return [{ ...next, opening: permit }, { _tag: "Claim", permit, reset, count }]
}

/**
 * What the store said to a `Take` or a `Claim`: if `granted`, the caller sends with the decision's permit.
 * `undefined`: the caller gave up before the store answered.
 */
export const counted = (
  s: State,
  now: number,
  decision: Extract<Decision, { readonly _tag: "Take" | "Claim" }>,
  granted: boolean | undefined
): State => {
  if (granted === undefined) {
    const next = release(s, decision.permit, false)
    return decision._tag === "Take" && next.leasing === decision.window ? { ...next, leasing: undefined } : next
  }
  if (decision._tag === "Take") {
    s = s.leasing === decision.window ? { ...s, leasing: undefined } : s
    const window = s.current?.name === decision.window ? s.current : undefined
    if (granted) return window === undefined ? s : { ...s, leased: s.leased + decision.count.tokens - 1 }
    const next = release(s, decision.permit, false)
    if (window === undefined || next.current === undefined) return next
    return {
      ...next,
      current: decision.count.tokens > 1 ? { ...next.current, single: true } : { ...next.current, spent: true }
    }
  }
  if (granted) return s
  // Another process opened that window and spent it: wait for its end (at its reset, at the latest).
  const next = release(s, decision.permit, false)
  if (next.current !== undefined && decision.reset < next.current.reset + 1000) return next
  const opened = openWindow(next, decision.reset, now, false, next.limit ?? next.config.initialLimit ?? 1, false)
  return opened.current === undefined
    ? opened
    : { ...opened, current: { ...opened.current, remaining: 0, spent: true } }
}

/** The level counted by: the lowest limit (of those, the one with the fewest left). */
const bindingLevel = (levels: ReadonlyArray<Level>): Level | undefined => {
  let binding: Level | undefined
  for (const level of levels) {
    if (
      level.limit > 0 && (binding === undefined || level.limit < binding.limit ||
        (level.limit === binding.limit && (level.remaining ?? Infinity) < (binding.remaining ?? Infinity)))
    ) binding = level
  }
  return binding
}

const holdTo = (s: State, until: number | undefined): State =>
  until === undefined || until <= s.holdUntil ? s : { ...s, holdUntil: until }

/** Learns from an answer; also says under which store key to count its request, if the store missed it. */
const learn = (
  s: State,
  now: number,
  answer: Answer,
  permit: Permit | undefined
): readonly [State, string | undefined] => {
  if (answer.status === 0) return [s, undefined]
  const binding = bindingLevel(answer.levels)
  // Another level with no request left, in another window, holds every caller until its reset.
  for (const level of answer.levels) {
    if (
      level !== binding && level.remaining === 0 && level.resetAt !== undefined && level.resetAt > now &&
      !(binding?.resetAt !== undefined && Math.abs(level.resetAt - binding.resetAt) < 1000)
    ) s = holdTo(s, level.resetAt)
  }
  if (binding !== undefined) s = { ...s, limit: binding.limit }
  const limit = s.limit ?? s.config.initialLimit
  const retryAfter = answer.status === 429 && answer.retryAfter !== undefined
    ? Math.ceil(Duration.toMillis(answer.retryAfter))
    : undefined
  const bareHold = retryAfter === undefined ? undefined : now + retryAfter
  const reset = binding?.resetAt
  if (limit === undefined) {
    // Nothing to count by: a bare 429 still holds every caller.
    return [holdTo(s, bareHold), undefined]
  } else if (reset !== undefined && reset > now) {
    // The answer's window (an answer's reset names it, to within the header's second).
    if (s.current === undefined || Math.abs(reset - s.current.reset) >= 1000) {
      s = openWindow(s, reset, now, false, limit)
    }
  } else if (s.current === undefined || now >= endHigh(s, s.current)) {
    // No usable reset and no window in force: count in windows aligned to the clock.
    const length = windowGuess(s)
    s = openWindow(s, (Math.floor(now / length) + 1) * length, now, true, limit)
  } else if (binding === undefined) {
    // No rate-limit headers: the window in force stands; a 429 holds every caller.
    return [holdTo(s, bareHold), undefined]
  }
  let w = s.current!
  if (binding?.remaining !== undefined && binding.remaining < w.remaining) w = { ...w, remaining: binding.remaining }
  if (permit !== undefined && !w.synthetic) {
    if (w.openedAt === undefined && answer.status !== 429 && binding?.remaining === limit - 1) {
      // This request opened the window (a 429 reports none left, whoever opened it).
      w = { ...w, openedAt: permit.sentAt }
      if (s.trustHeaders) s = learnHigh(s, w.reset - permit.sentAt)
    }
    // The window was still on when the request arrived.
    s = learnLow(s, permit.sentAt - w.seenAt)
  }
  if (answer.status === 429) {
    w = { ...w, spent: true, endBy: retryAfter === undefined ? w.endBy : Math.min(w.endBy, now + retryAfter) }
  }
  s = { ...s, current: w }
  return [s, permit !== undefined && permit.name !== w.name && answer.status !== 429 ? w.name : undefined]
}

/** What observing an answer leads to. */
export interface Observed {
  readonly state: State
  /** A request the store did not count (it opened the window, or its permit was the window before's). */
  readonly uncounted: Count | undefined
  /** On a 429: every caller is held until then. */
  readonly heldUntil: number | undefined
}

/**
 * Learns from the answer to the request sent with `permit` (undefined if unknown), or from its lack
 * ({@link Answer} with status 0): the request is no longer in flight, and was counted if no answer came.
 */
export const observe = (s: State, now: number, permit: Permit | undefined, answer: Answer): Observed => {
  const known = permit !== undefined && isInFlight(s, permit) ? permit : undefined
  const released = known === undefined ? s : release(s, known, answer.status === 0)
  const [state, uncounted] = learn(released, now, answer, known)
  return {
    state,
    uncounted: uncounted === undefined ? undefined : counting(state, uncounted, 1, undefined, now),
    heldUntil: answer.status === 429
      ? Math.max(state.holdUntil, state.current === undefined ? 0 : endHigh(state, state.current))
      : undefined
  }
}

/** Whether what waiting callers wait for changed: a window opened or ends sooner, a hold, an opener, a lease. */
export const changed = (before: State, after: State): boolean =>
  before.holdUntil !== after.holdUntil || before.opening?.id !== after.opening?.id ||
  before.leasing !== after.leasing ||
  before.current?.name !== after.current?.name || before.current?.seenAt !== after.current?.seenAt ||
  before.current?.endBy !== after.current?.endBy
