/**
 * The global ValidationPipe: DTOs are whitelisted (unknown fields refused) and transformed; a failure becomes one
 * ValidationFailedError with one {field, message} per offending field, nested paths spelled out (`targets.0.areaCode`).
 */
import { ValidationError, ValidationPipe } from '@nestjs/common';
import { FieldMessage, ValidationFailedError } from './errors';

export function flattenValidationErrors(errors: ValidationError[], parent = ''): FieldMessage[] {
  const out: FieldMessage[] = [];
  for (const e of errors) {
    const field = parent ? `${parent}.${e.property}` : e.property;
    if (e.constraints) {
      const messages = Object.entries(e.constraints).map(([key, m]) =>
        key === 'whitelistValidation' ? `${field} is not an accepted field` : m,
      );
      out.push({ field, message: messages.join('; ') });
    }
    if (e.children && e.children.length > 0) out.push(...flattenValidationErrors(e.children, field));
  }
  return out;
}

export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    exceptionFactory: (errors: ValidationError[]) => {
      const fields = flattenValidationErrors(errors);
      const names = fields.map((f) => f.field).join(', ');
      return new ValidationFailedError(`invalid request: ${names}`, fields);
    },
  });
}
