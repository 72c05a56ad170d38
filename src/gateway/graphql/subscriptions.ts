import { EventEmitter, on } from 'node:events';
import { codedGraphQLError } from '../errors/graphql.js';
import { subscriberOf, type GraphQLContext, type Operation } from './context.js';
import type { Resolver } from './schema-part.js';

/** A watch function of the procedures, bound to its arguments: it takes a listener and returns how to stop. */
export type Watch<T> = (listener: (change: T) => void) => () => void;

/**
 * A subscription field: authenticates the subscriber (context.ts), starts the watch as that
 * caller (the guard may refuse), and sends each change as the field's value. A refusal reaches
 * the client as an error with its code.
 */
export function subscription<T>(watch: (operation: Operation, args: never) => Watch<T>): Resolver {
  return {
    subscribe: async (_: unknown, args: never, context: GraphQLContext) => {
      try {
        return changes(watch(await subscriberOf(context), args));
      } catch (error) {
        return refused(codedGraphQLError(error));
      }
    },
    resolve: (change: T) => change,
  };
}

/**
 * A subscription's event stream over a watch function of the procedures (`watchModels`,
 * `watchCollections`): events are queued as they come, and when the client stops (graphql-js
 * calls `return`), the watch ends at once, not at the next event.
 */
function changes<T>(watch: Watch<T>): AsyncIterableIterator<T> {
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

/**
 * A subscription that ends at once with `error`. Returned rather than thrown: mercurius logs a
 * thrown subscribe error at error level, and a refused credential or permission is the client's
 * doing, already in the audit log, not a server fault.
 */
function refused(error: Error): AsyncIterableIterator<never> {
  const iterator: AsyncIterableIterator<never> = {
    [Symbol.asyncIterator]: () => iterator,
    next: () => Promise.reject(error),
    return: () => Promise.resolve({ done: true, value: undefined }),
  };
  return iterator;
}
