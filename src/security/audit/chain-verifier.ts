import {
  auditOutcomes,
  emptyChain,
  isJsonObject,
  recordHash,
  type AuditRecord,
  type ChainHead,
} from './record.js';

/**
 * What made a record bad. `edited`: its hash does not match its contents. `missing-or-reordered`:
 * its seq is not the next one (a record before it was deleted, or records were moved).
 * `broken-link`: its prev is not the previous record's hash (the previous record was replaced
 * with a re-hashed one). `malformed`: not a record at all. `incomplete`: the last line has no
 * newline (a crash mid-write, or a cut). `anchor-mismatch` and `truncated`: the chain disagrees
 * with, or ends before, a head the operator recorded elsewhere.
 */
export type AuditProblem =
  | 'edited'
  | 'missing-or-reordered'
  | 'broken-link'
  | 'malformed'
  | 'incomplete'
  | 'anchor-mismatch'
  | 'truncated';

export type AuditVerification =
  | { readonly ok: true; readonly records: number; readonly lastSeq: number; readonly lastHash: string }
  | {
      readonly ok: false;
      readonly problem: AuditProblem;
      /** Says which record is bad and how; names the first bad one. */
      readonly reason: string;
      /** The 1-based line of the first bad record, for a file. */
      readonly line?: number;
      /** The seq of the first bad record, where it has one. */
      readonly seq?: number;
      /** The end of the intact part before it. */
      readonly lastGood: ChainHead;
    };

export type AuditFailure = Extract<AuditVerification, { ok: false }>;

export interface VerifyOptions {
  /** A head recorded elsewhere earlier: the chain must still hold this record, unchanged. */
  readonly anchor?: ChainHead;
}

const hex64 = /^[0-9a-f]{64}$/;
const fieldNames = new Set([
  'seq',
  'time',
  'prev',
  'actor',
  'tenant',
  'action',
  'resource',
  'outcome',
  'requestId',
  'details',
  'hash',
]);

/** The checks `strata audit verify` applies, one record at a time in chain order, for any store. */
export class ChainVerifier {
  #head: ChainHead = emptyChain;
  #records = 0;

  constructor(private readonly anchor?: ChainHead) {}

  get head(): ChainHead {
    return this.#head;
  }

  /** Checks the next record in stored order; a failure names it, and the verifier stops there. */
  next(value: unknown, line?: number): AuditFailure | undefined {
    const at = line === undefined ? {} : { line };
    const record = asRecord(value);
    if (typeof record === 'string') {
      const seq =
        isJsonObject(value) && Number.isSafeInteger(value['seq']) ? (value['seq'] as number) : undefined;
      return this.#fail('malformed', `${where(line, seq)} is not a valid audit record: ${record}`, at, seq);
    }
    const { seq } = record;
    const expected = this.#head.seq + 1;
    if (recordHash(record) !== record.hash) {
      return this.#fail(
        'edited',
        `${where(line, seq)} was edited: its hash does not match its contents`,
        at,
        seq,
      );
    }
    if (seq !== expected) {
      const what =
        seq > expected
          ? `record ${seqRange(expected, seq - 1)} ${seq - expected === 1 ? 'is' : 'are'} missing (deleted) or records were reordered`
          : 'records were reordered or repeated';
      return this.#fail(
        'missing-or-reordered',
        `${where(line, seq)}: expected seq ${expected}, found ${seq}: ${what}`,
        at,
        seq,
      );
    }
    if (record.prev !== this.#head.hash) {
      return this.#fail(
        'broken-link',
        `${where(line, seq)} does not link to record ${this.#head.seq}: its prev is not that record's hash, so record ${this.#head.seq} was replaced or rewritten`,
        at,
        seq,
      );
    }
    if (this.anchor?.seq === seq && record.hash !== this.anchor.hash) {
      return this.#fail(
        'anchor-mismatch',
        `${where(line, seq)} has hash ${record.hash}, not the anchored ${this.anchor.hash}: the chain up to it was rewritten`,
        at,
        seq,
      );
    }
    this.#head = { seq, hash: record.hash };
    this.#records++;
    return undefined;
  }

  /** The verdict once every record was checked. */
  finish(): AuditVerification {
    if (this.anchor !== undefined && this.#head.seq < this.anchor.seq) {
      return this.#fail(
        'truncated',
        `the chain ends at seq ${this.#head.seq} but the anchor is at seq ${this.anchor.seq}: records after seq ${this.#head.seq} were removed`,
        {},
        undefined,
      );
    }
    return { ok: true, records: this.#records, lastSeq: this.#head.seq, lastHash: this.#head.hash };
  }

  #fail(problem: AuditProblem, reason: string, at: { line?: number }, seq: number | undefined): AuditFailure {
    return { ok: false, problem, reason, ...at, ...(seq === undefined ? {} : { seq }), lastGood: this.#head };
  }
}

/** A failure for a line that is not even JSON, or is cut off. */
export function lineFailure(
  verifier: ChainVerifier,
  problem: 'malformed' | 'incomplete',
  reason: string,
  line: number,
): AuditFailure {
  return { ok: false, problem, reason: `line ${line} ${reason}`, line, lastGood: verifier.head };
}

function where(line: number | undefined, seq: number | undefined): string {
  const record = seq === undefined ? 'the record' : `record seq ${seq}`;
  return line === undefined ? record : `line ${line} (${record})`;
}

function seqRange(from: number, to: number): string {
  return from === to ? `seq ${from}` : `seq ${from}..${to}`;
}

/** The record `value` holds, or what is wrong with it. Unknown fields are refused: they escape the hash. */
function asRecord(value: unknown): AuditRecord | string {
  if (!isJsonObject(value)) return 'not a JSON object';
  for (const key of Object.keys(value)) if (!fieldNames.has(key)) return `unknown field "${key}"`;
  const { seq, time, prev, outcome, details, hash } = value;
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 1)
    return 'seq must be a positive integer';
  if (typeof time !== 'string' || !isIsoTime(time)) return 'time must be an ISO 8601 UTC time';
  if (typeof prev !== 'string' || !hex64.test(prev)) return 'prev must be 64 hex digits';
  if (typeof hash !== 'string' || !hex64.test(hash)) return 'hash must be 64 hex digits';
  for (const field of ['actor', 'tenant', 'action', 'resource', 'requestId'] as const) {
    if (typeof value[field] !== 'string') return `${field} must be a string`;
  }
  if (!(auditOutcomes as readonly unknown[]).includes(outcome))
    return `outcome must be one of ${auditOutcomes.join(', ')}`;
  if (details !== undefined && !isJsonObject(details)) return 'details must be a JSON object';
  return value as unknown as AuditRecord;
}

function isIsoTime(time: string): boolean {
  const parsed = new Date(time);
  return !Number.isNaN(parsed.getTime()) && parsed.toISOString() === time;
}
