// Objects keyed by names from the user's data (model versions, task types). A plain {} inherits
// Object.prototype: a version called "constructor" or "toString" reads as a function before it is
// set, and "__proto__" sets the prototype instead of a field. These objects have no prototype, so
// every name is just a key; they serialise (JSON, structured clone) like plain objects.

/** An empty object with no prototype, or one holding `entries`. */
export function keyedRecord<T>(entries: Iterable<readonly [string, T]> = []): Record<string, T> {
  const out = Object.create(null) as Record<string, T>;
  for (const [key, value] of entries) out[key] = value;
  return out;
}
