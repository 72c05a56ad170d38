/**
 * `items` in chunks of `size` for bulk inserts with an event-loop turn between chunks (a large
 * upsert, a restore), the last whole chunk kept back for the remainder: the last chunk holds
 * `size` to `2 × size - 1` items (or all of them, when fewer), never a few stragglers. A bulk
 * insert of fewer items than a build batch goes in serially, so chunks cut otherwise would build a
 * different graph than one bulk insert of every item, and a replay (which cuts the same chunks)
 * must build the very graph the live apply built. Reads `items` lazily, holding at most
 * `2 × size` of them; an array too short to split is yielded as it is.
 */
export function* turnChunks<T>(items: Iterable<T>, size: number): Generator<readonly T[], void, undefined> {
  if (Array.isArray(items) && items.length < 2 * size) {
    yield items as readonly T[];
    return;
  }
  let held: T[] = [];
  for (const item of items) {
    held.push(item);
    if (held.length === 2 * size) {
      yield held.slice(0, size);
      held = held.slice(size);
    }
  }
  yield held;
}
