/** Vargha and Delaney's A: the chance that a time of `xs` exceeds one of `ys` (ties count half). */
export const probabilityOfSuperiority = (xs: ReadonlyArray<number>, ys: ReadonlyArray<number>) => {
  let wins = 0
  for (const x of xs) for (const y of ys) wins += x > y ? 1 : x === y ? 0.5 : 0
  return wins / (xs.length * ys.length)
}

export const median = (values: ReadonlyArray<number>) => {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2
}

/** A named kind of request, and how to send one (`round` counts from 0). */
export type Category<A> = readonly [name: string, attempt: (round: number) => Promise<A>]

/**
 * Every category's attempt, timed, round after round in the order `order` gives for each round,
 * into `times` and `answers` by name; the first `warmup` rounds are sent but not kept, and
 * `pauseMs` passes after each attempt.
 */
export const sampleCategories = async <A>(
  categories: ReadonlyArray<Category<A>>,
  options: {
    readonly rounds: number
    readonly warmup: number
    readonly order: (categories: ReadonlyArray<Category<A>>, round: number) => ReadonlyArray<Category<A>>
    readonly pauseMs?: number
  },
  times: Map<string, Array<number>>,
  answers: Map<string, Array<A>>,
) => {
  for (let round = 0; round < options.rounds; round++) {
    for (const [name, attempt] of options.order(categories, round)) {
      const start = performance.now()
      const answer = await attempt(round)
      const millis = performance.now() - start
      if (options.pauseMs !== undefined) await new Promise((resolve) => setTimeout(resolve, options.pauseMs))
      if (round < options.warmup) continue
      times.set(name, [...(times.get(name) ?? []), millis])
      answers.set(name, [...(answers.get(name) ?? []), answer])
    }
  }
}
