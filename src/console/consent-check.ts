import type { Category, Purpose } from '../../config/configuration';

/** A consent as a release record holds it (who may receive what, for which purpose, signed when, valid until). */
export interface RecordConsent {
  recipientOrganizationId?: string;
  purposes: string[];
  categories: string[];
  signedOn: string;
  validUntil?: string;
}

export type ConsentCoverage = 'covered' | 'not_covered' | 'none_on_file';

export interface ConsentCheck {
  rows: { category: Category; coverage: ConsentCoverage }[];
  /** The record holds no consent at all. */
  noneOnFile: boolean;
  /** Every requested category is covered. */
  allCovered: boolean;
}

/**
 * Compares a request with the consents on its record, per requested category. A consent counts
 * when it names this requester (or no recipient), lists this purpose, and is valid on `today`
 * (a Japan calendar date: signed on or before it, not past its end).
 */
export function checkConsents(
  request: { categories: Category[]; purpose: Purpose; requesterOrganizationId: string },
  consents: readonly RecordConsent[],
  today: string,
): ConsentCheck {
  const applying = consents.filter(
    (k) =>
      (!k.recipientOrganizationId || k.recipientOrganizationId === request.requesterOrganizationId) &&
      k.purposes.includes(request.purpose) &&
      k.signedOn <= today &&
      (!k.validUntil || k.validUntil >= today),
  );
  const noneOnFile = consents.length === 0;
  const rows = request.categories.map((category) => ({
    category,
    coverage: (noneOnFile ? 'none_on_file' : applying.some((k) => k.categories.includes(category)) ? 'covered' : 'not_covered') as ConsentCoverage,
  }));
  return { rows, noneOnFile, allCovered: rows.every((r) => r.coverage === 'covered') };
}
