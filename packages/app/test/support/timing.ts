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
