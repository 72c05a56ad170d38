import { StrataError } from '../../kernel/index.js';

/**
 * JSON for INT64 and UINT64 tensors without silent rounding. JSON itself has arbitrary-precision
 * numbers and Python clients (tritonclient, the KServe SDK) write 64-bit integers exactly, but
 * `JSON.parse` rounds every number to a double, so 2^53 + 1 would arrive as 2^53. Node 20 has no
 * source-text access in `JSON.parse` revivers, so requests that hold an integer literal a double
 * may not represent go through a small exact parser that yields a `bigint` for it; all others take
 * the native parser. Responses are written by hand (see codec.ts) for the same reason.
 */

/**
 * An integer literal of 16 or more digits that is not part of a fraction or an exponent: every
 * integer of up to 15 digits is below 2^53 and exact as a double. In JSON a number starts the
 * text or follows `[`, `,`, `:` or whitespace; anchoring on those characters, rather than
 * looking behind every digit, halves the scan of a body of float tensors (bench/serving.ts).
 * Matches inside strings only send a request to the exact parser, which is correct, merely slower.
 */
const longInteger = /(?:^|[[,:\s])-?\d{16,}(?![\d.eE])/;

/** Nesting beyond this is no tensor a client sends; the limit keeps the recursion off the stack's end. */
const maxDepth = 256;

/** Parses a request body; unsafe integer literals become `bigint`. Throws MALFORMED_REQUEST. */
export function parseRequestJson(text: string): unknown {
  try {
    if (!longInteger.test(text)) return JSON.parse(text);
    return new ExactParser(text).document();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new StrataError('MALFORMED_REQUEST', `request body is not valid JSON: ${reason}`, {
      cause: error,
    });
  }
}

const numberToken = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
const whitespace = /[ \t\n\r]*/y;

class ExactParser {
  #at = 0;

  constructor(private readonly text: string) {}

  document(): unknown {
    const value = this.#value(0);
    this.#skipWhitespace();
    if (this.#at !== this.text.length) this.#fail('unexpected content after the JSON value');
    return value;
  }

  #value(depth: number): unknown {
    if (depth > maxDepth) this.#fail(`nesting deeper than ${maxDepth} levels`);
    this.#skipWhitespace();
    const c = this.text[this.#at];
    switch (c) {
      case '{':
        return this.#object(depth);
      case '[':
        return this.#array(depth);
      case '"':
        return this.#string();
      case 't':
        return this.#literal('true', true);
      case 'f':
        return this.#literal('false', false);
      case 'n':
        return this.#literal('null', null);
      default:
        return this.#number();
    }
  }

  #object(depth: number): Record<string, unknown> {
    const object: Record<string, unknown> = {};
    this.#at += 1;
    if (this.#peek() === '}') {
      this.#at += 1;
      return object;
    }
    for (;;) {
      this.#skipWhitespace();
      if (this.text[this.#at] !== '"') this.#fail('expected a property name');
      const key = this.#string();
      if (this.#peek() !== ':') this.#fail("expected ':'");
      this.#at += 1;
      // JSON.parse makes `__proto__` an own property; plain assignment would set the prototype.
      Object.defineProperty(object, key, {
        value: this.#value(depth + 1),
        enumerable: true,
        writable: true,
        configurable: true,
      });
      const next = this.#peek();
      this.#at += 1;
      if (next === '}') return object;
      if (next !== ',') this.#fail("expected ',' or '}'", -1);
    }
  }

  #array(depth: number): unknown[] {
    const array: unknown[] = [];
    this.#at += 1;
    if (this.#peek() === ']') {
      this.#at += 1;
      return array;
    }
    for (;;) {
      array.push(this.#value(depth + 1));
      const next = this.#peek();
      this.#at += 1;
      if (next === ']') return array;
      if (next !== ',') this.#fail("expected ',' or ']'", -1);
    }
  }

  /** Finds the closing quote, then lets JSON.parse unescape and validate the string token. */
  #string(): string {
    const start = this.#at;
    let end = start + 1;
    for (;;) {
      end = this.text.indexOf('"', end);
      if (end === -1) this.#fail('unterminated string');
      let backslashes = 0;
      while (this.text[end - 1 - backslashes] === '\\') backslashes += 1;
      if (backslashes % 2 === 0) break;
      end += 1;
    }
    this.#at = end + 1;
    return JSON.parse(this.text.slice(start, end + 1)) as string;
  }

  #number(): number | bigint {
    numberToken.lastIndex = this.#at;
    const match = numberToken.exec(this.text);
    if (match === null) this.#fail('unexpected token');
    const token = match[0];
    this.#at += token.length;
    const isInteger = match[1] === undefined && match[2] === undefined;
    const value = Number(token);
    return isInteger && !Number.isSafeInteger(value) ? BigInt(token) : value;
  }

  #literal<T>(word: string, value: T): T {
    if (!this.text.startsWith(word, this.#at)) this.#fail('unexpected token');
    this.#at += word.length;
    return value;
  }

  #peek(): string | undefined {
    this.#skipWhitespace();
    return this.text[this.#at];
  }

  #skipWhitespace(): void {
    whitespace.lastIndex = this.#at;
    whitespace.exec(this.text);
    this.#at = whitespace.lastIndex;
  }

  #fail(message: string, offset = 0): never {
    throw new SyntaxError(`${message} at position ${this.#at + offset}`);
  }
}
