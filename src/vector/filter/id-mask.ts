import type { IdFilter } from '../types.js';

/** How an index names its slots, for writing an allow mask over them. */
export interface SlotSpace {
  /** Slots in use, live or not: the mask covers [0, slots). */
  readonly slots: number;
  slotOf(id: number): number | undefined;
  /** The id in a live slot, undefined for a deleted one. */
  idAt(slot: number): number | undefined;
}

/**
 * Writes one byte per slot, 1 where the search may return it, and returns how many are allowed.
 * Both backends read the same bytes, so filtered results stay bit-identical between them.
 */
export function fillAllowMask(mask: Uint8Array, space: SlotSpace, filter: IdFilter | undefined): number {
  let allowed = 0;
  if (filter !== undefined && typeof filter !== 'function') {
    mask.fill(0, 0, space.slots);
    for (const id of filter.ids) {
      const slot = space.slotOf(id);
      if (slot === undefined || mask[slot] === 1) continue;
      mask[slot] = 1;
      allowed++;
    }
    return allowed;
  }
  for (let slot = 0; slot < space.slots; slot++) {
    const id = space.idAt(slot);
    const ok = id !== undefined && (filter === undefined || filter(id));
    mask[slot] = ok ? 1 : 0;
    if (ok) allowed++;
  }
  return allowed;
}
