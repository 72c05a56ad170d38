import { GraphQLError, type ValidationRule } from 'graphql';
import { createComplexityRule, type ComplexityEstimator } from 'graphql-query-complexity';

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

export function complexityRule(
  maximumComplexity: number,
  variables: Record<string, unknown> | undefined,
  operationName: string | undefined,
): ValidationRule {
  return createComplexityRule({
    maximumComplexity,
    estimators: [perItem],
    ...(variables === undefined ? {} : { variables }),
    ...(operationName === undefined ? {} : { operationName }),
    createError: (max, actual) =>
      new GraphQLError(
        `the query's cost is ${String(actual)}, above the limit of ${String(max)}; ask for fewer items or fields, or raise server.graphql.maxComplexity`,
      ),
  });
}
