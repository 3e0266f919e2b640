/** The default of a `switch` the compiler checks for exhaustiveness: a value of type never cannot reach it. */
export function assertUnreachable(value: never, what = 'value'): never {
  throw new Error(`unexpected ${what}: ${JSON.stringify(value)}`);
}
