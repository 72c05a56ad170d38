import type { FastifyInstance } from 'fastify';
import { GraphQLError } from 'graphql';
import { getComplexity, type ComplexityEstimator } from 'graphql-query-complexity';

/**
 * How much work a query may ask for, checked before it runs (`server.graphql.maxComplexity`;
 * depth is mercurius's `queryDepth`). Each field costs 1; the fields under a field with a `limit`
 * argument, or an `ids` or `points` list, count once per item it may return. Lists without such
 * an argument (`collections`, `models`) count their fields once: the number of collections or
 * models is the tenant's own, bounded by what it created.
 */
const perItem: ComplexityEstimator = ({ args, childComplexity }) => {
  const limit: unknown = args['limit'];
  const list: unknown = args['ids'] ?? args['points'];
  const items = typeof limit === 'number' ? limit : Array.isArray(list) ? list.length : 1;
  return 1 + Math.max(1, items) * childComplexity;
};

/**
 * Refuses queries above the limit. A hook before execution rather than a validation rule: the
 * cost depends on the variables (`limit: $n`), and mercurius caches validation per query text.
 */
export function limitComplexity(app: FastifyInstance, maximum: number): void {
  app.graphql.addHook('preExecution', (schema, document, _context, variables) => {
    const cost = getComplexity({ schema, query: document, variables, estimators: [perItem] });
    if (cost > maximum) {
      throw new GraphQLError(
        `the query's cost is ${String(cost)}, above the limit of ${String(maximum)}; ask for fewer items or fields, or raise server.graphql.maxComplexity`,
      );
    }
  });
}
