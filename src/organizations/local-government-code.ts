/**
 * 全国地方公共団体コード: 6 digits, prefecture (2) + municipality (3) + check digit. The check digit
 * is the last digit of 11 − (Σ digit × weight mod 11), weights 6, 5, 4, 3, 2.
 */
export function localGovernmentCheckDigit(firstFive: string): number {
  const weights = [6, 5, 4, 3, 2];
  const sum = weights.reduce((acc, w, i) => acc + Number(firstFive[i]) * w, 0);
  return (11 - (sum % 11)) % 10;
}

export function isValidLocalGovernmentCode(code: string): boolean {
  if (!/^\d{6}$/.test(code)) return false;
  const pref = Number(code.slice(0, 2));
  if (pref < 1 || pref > 47) return false;
  return localGovernmentCheckDigit(code.slice(0, 5)) === Number(code[5]);
}

export function isPrefectureCode(code: string): boolean {
  return code.slice(2, 5) === '000';
}

/** A prefecture's jurisdiction is every code with its first two digits; a municipality's is its own. */
export function withinJurisdiction(orgKind: 'municipality' | 'prefecture', orgCode: string, subjectCode: string): boolean {
  return orgKind === 'prefecture' ? subjectCode.slice(0, 2) === orgCode.slice(0, 2) : subjectCode === orgCode;
}
