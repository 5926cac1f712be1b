import type { EntityMetadata } from 'typeorm';

const plans = new WeakMap<EntityMetadata, [column: string, property: string][]>();

/**
 * An entity from a raw row (`SELECT *`), by the entity's own column metadata: for hot paths that
 * skip the query builder. Only for entities whose columns need no conversion beyond the driver's
 * (no `date` columns, which the driver would turn into a Date, and no transformers).
 */
export function hydrate<T>(metadata: EntityMetadata, row: Record<string, unknown>): T {
  let plan = plans.get(metadata);
  if (!plan) {
    const unsupported = metadata.columns.filter((c) => c.type === 'date' || c.transformer);
    if (unsupported.length > 0) throw new Error(`hydrate() cannot map ${metadata.name}.${unsupported.map((c) => c.propertyName).join(', ')}`);
    plan = metadata.columns.map((c) => [c.databaseName, c.propertyName]);
    plans.set(metadata, plan);
  }
  const entity = metadata.create() as Record<string, unknown>;
  for (const [column, property] of plan) entity[property] = row[column];
  return entity as T;
}
