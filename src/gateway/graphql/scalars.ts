import { GraphQLError, GraphQLScalarType, Kind, valueFromASTUntyped } from 'graphql';

/**
 * The two scalars Strata's schema adds. `JSON` carries what the procedures take as free-form JSON
 * in Qdrant's shapes — payloads and filters — so that GraphQL accepts and refuses exactly what
 * REST and gRPC do (docs/decisions/0009), and tensor elements, whose type depends on the
 * datatype. `PointId` is a Qdrant point id: an unsigned integer or a UUID string, kept as sent
 * (GraphQL's `ID` would turn 7 into "7").
 */

export const jsonScalar = new GraphQLScalarType({
  name: 'JSON',
  description: "Any JSON value: payloads and filters in Qdrant's shapes, tensor elements.",
  serialize: (value) => value,
  parseValue: (value) => value,
  parseLiteral: (ast, variables) => valueFromASTUntyped(ast, variables),
});

function pointId(value: unknown): number | string {
  if (typeof value === 'string' || (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0)) {
    return value;
  }
  throw new GraphQLError(`a point id is an unsigned integer or a UUID string, not ${JSON.stringify(value)}`);
}

export const pointIdScalar = new GraphQLScalarType({
  name: 'PointId',
  description: 'A point id: an unsigned integer or a UUID string.',
  serialize: pointId,
  parseValue: pointId,
  parseLiteral: (ast) => {
    if (ast.kind === Kind.INT) return pointId(Number(ast.value));
    if (ast.kind === Kind.STRING) return ast.value;
    throw new GraphQLError('a point id is an unsigned integer or a UUID string');
  },
});
