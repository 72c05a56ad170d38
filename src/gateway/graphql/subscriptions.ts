import { EventEmitter, on } from 'node:events';

/**
 * A subscription's event stream over a watch function of the procedures (`watchModels`,
 * `watchCollections`): events are queued as they come, and when the client stops (graphql-js
 * calls `return`), the watch ends at once, not at the next event.
 */
export function changes<T>(watch: (listener: (change: T) => void) => () => void): AsyncIterableIterator<T> {
  const emitter = new EventEmitter();
  const inner = on(emitter, 'change');
  const stop = watch((change) => emitter.emit('change', change));
  const iterator: AsyncIterableIterator<T> = {
    [Symbol.asyncIterator]: () => iterator,
    next: async () => {
      const result = (await inner.next()) as IteratorResult<[T]>;
      return result.done === true
        ? { done: true, value: undefined }
        : { done: false, value: result.value[0] };
    },
    return: async () => {
      stop();
      await inner.return?.();
      return { done: true, value: undefined };
    },
  };
  return iterator;
}
