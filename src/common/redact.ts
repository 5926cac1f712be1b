/**
 * Field names that may hold personal or secret values. Logs redact them wherever they appear;
 * a test checks that none of their values reach a log line.
 */
export const PERSONAL_FIELDS = [
  'fullName',
  'fullNameKana',
  'birthDate',
  'address',
  'plannedResidence',
  'officerContact',
  'note',
  'name',
  'phone',
  'email',
  'password',
  'totp',
  'code',
  'client_secret',
  'clientSecret',
  'access_token',
  'otpauthUri',
  'attestedBy',
];

export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-csrf-token"]',
  'res.headers["set-cookie"]',
  'req.body',
  'res.body',
  ...PERSONAL_FIELDS.map((f) => `*.${f}`),
  ...PERSONAL_FIELDS.map((f) => `*.*.${f}`),
];
