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
        validate(value: unknown) {
          if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
          const d = new Date(`${value}T00:00:00Z`);
          return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === value && d.getUTCFullYear() >= 1900;
        },
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
