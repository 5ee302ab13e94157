// placeholder until adapters-postgres lands
export const storeLayer = (_: unknown) => {
  throw new Error("not yet")
}
