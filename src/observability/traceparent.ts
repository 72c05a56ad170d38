/**
 * The trace id of a W3C Trace Context `traceparent` header (version 00 format:
 * `00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>`), or undefined when the header is absent
 * or invalid. All-zero ids are invalid per the specification (§3.2.2.3, §3.2.2.4).
 */
export function parseTraceparent(header: string | string[] | undefined): string | undefined {
  if (typeof header !== 'string') return undefined;
  const match = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/.exec(header.trim());
  if (match === null) return undefined;
  const [, version, traceId, parentId] = match;
  if (version === 'ff' || traceId === undefined || /^0+$/.test(traceId) || /^0+$/.test(parentId ?? '')) {
    return undefined;
  }
  return traceId;
}
