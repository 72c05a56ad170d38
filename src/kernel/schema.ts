import { Type, type SchemaOptions, type TUnsafe } from '@sinclair/typebox';

/**
 * A string limited to fixed values, as JSON Schema `enum`. Preferred over a union of literals:
 * validators then report one readable error ("must be one of ...") instead of one per branch.
 */
export function StringEnum<const T extends readonly string[]>(
  values: T,
  options: SchemaOptions = {},
): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>({ ...options, type: 'string', enum: [...values] });
}
