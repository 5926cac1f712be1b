import { Transform } from 'class-transformer';
import { registerDecorator, ValidationOptions } from 'class-validator';

/** A calendar date `YYYY-MM-DD` that exists (no 2023-02-30). */
export function IsCalendarDate(options?: ValidationOptions) {
  return (object: object, propertyName: string) =>
    registerDecorator({
      name: 'isCalendarDate',
      target: object.constructor,
      propertyName,
      options: { message: 'must be a date YYYY-MM-DD', ...options },
      validator: {
        validate: (value: unknown) => isCalendarDate(value),
      },
    });
}

/** Plain text without control characters or bidirectional overrides. */
export function IsPlainText(options?: ValidationOptions) {
  return (object: object, propertyName: string) =>
    registerDecorator({
      name: 'isPlainText',
      target: object.constructor,
      propertyName,
      options: { message: 'must be text without control or direction characters', ...options },
      validator: {
        validate(value: unknown) {
           
          return typeof value === 'string' && !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\u202a-\u202e\u2066-\u2069\u200e\u200f]/.test(value);
        },
      },
    });
}

/** NFKC-normalises and trims strings on the way in. */
export const Normalized = () => Transform(({ value }) => (typeof value === 'string' ? value.normalize('NFKC').trim() : value));

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,6})?(Z|([+-])(\d{2}):(\d{2}))$/;

/** True for an RFC 3339 time with offset whose every field exists (no month 13, no 25:00, no Feb 30). */
export function isRfc3339(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  const m = RFC3339.exec(value);
  if (!m) return false;
  const [, y, mo, d, h, mi, s, , , , oh, om] = m;
  const date = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)));
  if (date.getUTCFullYear() !== Number(y) || date.getUTCMonth() !== Number(mo) - 1 || date.getUTCDate() !== Number(d)) return false;
  if (Number(y) < 1900 || Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return false;
  if (oh !== undefined && (Number(oh) > 23 || Number(om) > 59)) return false;
  return !Number.isNaN(Date.parse(value));
}

export function isCalendarDate(value: unknown): boolean {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const d = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === value && d.getUTCFullYear() >= 1900;
}

/** An RFC 3339 time with offset that exists. */
export function IsRfc3339(options?: ValidationOptions) {
  return (object: object, propertyName: string) =>
    registerDecorator({
      name: 'isRfc3339',
      target: object.constructor,
      propertyName,
      options: { message: 'must be an RFC 3339 time with offset', ...options },
      validator: { validate: isRfc3339 },
    });
}

/** A calendar date YYYY-MM-DD or an RFC 3339 time, either of which must exist. */
export function IsDateOrTime(options?: ValidationOptions) {
  return (object: object, propertyName: string) =>
    registerDecorator({
      name: 'isDateOrTime',
      target: object.constructor,
      propertyName,
      options: { message: 'must be a date YYYY-MM-DD or an RFC 3339 time', ...options },
      validator: { validate: (v: unknown) => isCalendarDate(v) || isRfc3339(v) },
    });
}

/** A positive PostgreSQL bigint written in decimal (cursors over audit event ids). */
export function IsBigintId(options?: ValidationOptions) {
  return (object: object, propertyName: string) =>
    registerDecorator({
      name: 'isBigintId',
      target: object.constructor,
      propertyName,
      options: { message: 'must be a decimal id', ...options },
      validator: { validate: (v: unknown) => typeof v === 'string' && /^\d{1,19}$/.test(v) && BigInt(v) <= 9223372036854775807n },
    });
}
