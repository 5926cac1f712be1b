import { ValidationError, ValidationPipe } from '@nestjs/common';
import { BadRequestError } from './domain-error';

/** Field errors without values: `field` is the dotted path, the message never echoes input. */
export function flatten(errors: ValidationError[], prefix = ''): { field: string; message: string }[] {
  const out: { field: string; message: string }[] = [];
  for (const e of errors) {
    const field = prefix ? `${prefix}.${e.property}` : e.property;
    if (e.constraints) {
      for (const [key, message] of Object.entries(e.constraints)) {
        // whitelistValidation messages echo the property name only; values are never echoed.
        out.push({ field, message: key === 'whitelistValidation' ? 'unknown field' : message.startsWith(`${e.property} `) ? message.slice(e.property.length + 1) : message });
      }
    }
    if (e.children?.length) out.push(...flatten(e.children, field));
  }
  return out;
}

export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) =>
      new BadRequestError('validation', 'The request is malformed or has unknown fields.', flatten(errors)),
  });
}
