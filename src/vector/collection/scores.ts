import type { Metric } from '../types.js';

/** Qdrant's scores: similarity for Cosine and Dot (higher is better), distance for Euclid and Manhattan. */
export function toScore(metric: Metric, distance: number): number {
  switch (metric) {
    case 'cosine':
    case 'dot':
      return 1 - distance;
    case 'euclidean':
      return Math.sqrt(Math.max(distance, 0));
    case 'manhattan':
      return distance;
  }
}

/** Whether a higher score is the better one for `metric` (Qdrant orders hits by score). */
export function higherIsBetter(metric: Metric): boolean {
  return metric === 'cosine' || metric === 'dot';
}
