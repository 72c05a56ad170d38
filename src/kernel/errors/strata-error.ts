import { errorCatalog, type ErrorClass, type ErrorCode } from './codes.js';

/**
 * Errors are recognised by this brand, not by `instanceof`: two copies of this module (a linked
 * package, a worker bundle) would otherwise disagree about which class an error belongs to.
 */
const brand = Symbol.for('strata.error');

export interface StrataErrorOptions {
  readonly cause?: unknown;
  /** Machine-readable facts about the failure (field names, limits); sent to clients. */
  readonly details?: Readonly<Record<string, unknown>>;
}

export class StrataError extends Error {
  readonly [brand] = true;
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: ErrorCode, message: string, options: StrataErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'StrataError';
    this.code = code;
    this.details = options.details;
  }

  get errorClass(): ErrorClass {
    return errorCatalog[this.code].class;
  }

  get retryable(): boolean {
    return errorCatalog[this.code].retryable;
  }
}

export function isStrataError(value: unknown): value is StrataError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[brand] === true;
}

/** Any thrown value as a StrataError: unknown failures become INTERNAL, keeping the original as cause. */
export function toStrataError(value: unknown): StrataError {
  if (isStrataError(value)) return value;
  const message = value instanceof Error ? value.message : String(value);
  return new StrataError('INTERNAL', message, { cause: value });
}

/** The messages of an error and its causes, outermost first: what a log line or CLI shows. */
export function causeChain(error: unknown): string[] {
  const messages: string[] = [];
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (current !== undefined && current !== null && !seen.has(current)) {
    seen.add(current);
    messages.push(current instanceof Error ? current.message : describe(current));
    current = current instanceof Error ? current.cause : undefined;
  }
  return messages;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}
