const millisPerDay = 86_400_000;

/** The UTC day number (days since 1970-01-01) at `epochMillis`, and milliseconds until it ends. */
export function utcDay(epochMillis: number): { day: number; millisLeft: number } {
  const day = Math.floor(epochMillis / millisPerDay);
  return { day, millisLeft: (day + 1) * millisPerDay - epochMillis };
}
