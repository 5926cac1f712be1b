import { CATEGORY_DEFINITIONS } from '../../config/categories';
import type { Category, DisclosableRecord } from '../../config/categories';

export type { DisclosableRecord } from '../../config/categories';

/** Exactly the fields of the approved categories, nothing else (config/categories.ts says which). */
export function disclosedData(r: DisclosableRecord, categories: Category[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const c of categories) {
    const def = CATEGORY_DEFINITIONS[c];
    out[def.dataKey] = def.disclose(r);
  }
  return out;
}
