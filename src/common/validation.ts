/**
 * Validation at the edge. The global ValidationPipe first screens every raw body, query and path value
 * (screenInput: nesting depth, prototype keys, numbers beyond any field's range, control and bidi characters), then
 * checks the DTO: whitelisted (unknown fields refused) and transformed. A failure becomes one ValidationFailedError
 * with one {field, message} per offending field, nested paths spelled out (`targets.0.areaCode`).
 *
 * The decorators below are the shared vocabulary of the DTOs: Optional (absent, never null), Line (a one-line name
 * or title), Day (a real calendar date), When (a real ISO time), QueryInt (a strictly decimal integer in a query),
 * and IdPipe for numeric path ids.
 */
import {
  ArgumentMetadata,
  Injectable,
  PipeTransform,
  ValidationError,
  ValidationPipe,
  applyDecorators,
} from '@nestjs/common';
import { Transform } from 'class-transformer';
import {
  IsInt,
  IsISO8601,
  IsString,
  Max,
  MaxLength,
  Min,
  ValidateBy,
  ValidateIf,
  ValidationOptions,
} from 'class-validator';
import { FieldMessage, ValidationFailedError } from './errors';

/** Deepest nesting of objects and arrays a request may carry. */
export const MAX_INPUT_DEPTH = 16;
/** Largest magnitude of any number in a request: ids, counts, coordinates and durations all fit far below it. */
export const MAX_INPUT_NUMBER = Number.MAX_SAFE_INTEGER;
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
/** C0 controls other than tab, LF and CR; DEL; bidi embeddings, overrides and isolates. */
// eslint-disable-next-line no-control-regex -- finding these characters is the point
const HOSTILE_CHARS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F\u202A-\u202E\u2066-\u2069]/;
/** Every control character, line separators and the bidi marks: none belongs in a name or a title. */
// eslint-disable-next-line no-control-regex -- finding these characters is the point
const LINE_FORBIDDEN = /[\u0000-\u001F\u007F-\u009F\u200E\u200F\u2028\u2029\u202A-\u202E\u2066-\u2069]/;

/**
 * What no field of any request may contain, found by walking the raw value before any DTO sees it. Returns the
 * offending fields (at most one per path), empty when the value is clean.
 */
export function screenInput(value: unknown, root = ''): FieldMessage[] {
  const out: FieldMessage[] = [];
  const name = (path: string) => path || root || 'body';
  const walk = (v: unknown, path: string, depth: number): void => {
    if (out.length >= 20) return;
    if (typeof v === 'string') {
      if (HOSTILE_CHARS.test(v))
        out.push({
          field: name(path),
          message: `${name(path)} contains a control or bidirectional-override character`,
        });
      return;
    }
    if (typeof v === 'number') {
      if (!Number.isFinite(v) || Math.abs(v) > MAX_INPUT_NUMBER)
        out.push({ field: name(path), message: `${name(path)} is out of range` });
      return;
    }
    if (v === null || typeof v !== 'object' || ArrayBuffer.isView(v)) return;
    if (depth >= MAX_INPUT_DEPTH) {
      out.push({ field: name(path), message: `${name(path)} nests deeper than ${MAX_INPUT_DEPTH} levels` });
      return;
    }
    for (const key of Object.keys(v)) {
      const child = path ? `${path}.${key}` : root ? `${root}.${key}` : key;
      if (FORBIDDEN_KEYS.has(key)) {
        out.push({ field: child, message: `${key} is not an accepted field name` });
        continue;
      }
      walk((v as Record<string, unknown>)[key], child, depth + 1);
    }
  };
  walk(value, '', 0);
  return out;
}

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

function failed(fields: FieldMessage[]): ValidationFailedError {
  return new ValidationFailedError(`invalid request: ${fields.map((f) => f.field).join(', ')}`, fields);
}

class ScreeningValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type !== 'custom') {
      const bad = screenInput(value, metadata.type === 'param' ? (metadata.data ?? '') : '');
      if (bad.length > 0) throw failed(bad);
    }
    // path values stay strings for the parse pipes (IdPipe): a primitive cast here would read "0x10" as 16
    if (metadata.type === 'param') return value;
    return super.transform(value, metadata);
  }
}

export function createValidationPipe(): ValidationPipe {
  return new ScreeningValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    exceptionFactory: (errors: ValidationError[]) => failed(flattenValidationErrors(errors)),
  });
}

/** The field may be absent; when present it is validated, so `null` is refused like any other wrong type. */
export function Optional(): PropertyDecorator {
  return ValidateIf((_o: object, v: unknown) => v !== undefined);
}

/** A one-line name or title: a string, not blank, at most `max` characters, no control or bidi characters. */
export function Line(max: number): PropertyDecorator {
  return applyDecorators(
    IsString(),
    MaxLength(max),
    ValidateBy({
      name: 'isLine',
      validator: {
        validate: (v: unknown) => typeof v === 'string' && v.trim() !== '' && !LINE_FORBIDDEN.test(v),
        defaultMessage: (a) => `${a?.property} must be a non-blank single line without control characters`,
      },
    }),
  );
}

/** A calendar date yyyy-mm-dd that exists (2026-02-30 and 2026-13-99 do not). */
export function isCalendarDay(v: unknown): boolean {
  if (typeof v !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(v)) return false;
  const d = new Date(`${v}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === v;
}

export function Day(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isDay',
      validator: {
        validate: isCalendarDay,
        defaultMessage: (a) => `${a?.property} must be a date yyyy-mm-dd that exists`,
      },
    },
    options,
  );
}

/** An ISO 8601 time whose date and time exist. */
export function When(options?: ValidationOptions): PropertyDecorator {
  return applyDecorators(
    IsISO8601({ strict: true, strictSeparator: true }, options),
    ValidateBy({
      name: 'isRealTime',
      validator: {
        validate: (v: unknown) =>
          typeof v === 'string' && isCalendarDay(v.slice(0, 10)) && !Number.isNaN(Date.parse(v)),
        defaultMessage: (a) => `${a?.property} must be an ISO 8601 time that exists`,
      },
    }),
  );
}

/** Query integers are written in plain decimal ("0x10", "1e3" and " 7" are refused), within [min, max]. */
export function strictInt(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  return /^-?\d{1,16}$/.test(v) ? Number(v) : v;
}

export function QueryInt(min: number, max: number): PropertyDecorator {
  return applyDecorators(
    Transform(({ value }: { value: unknown }) => strictInt(value)),
    IsInt(),
    Min(min),
    Max(max),
  );
}

/** Largest row id: the INT columns of both databases. */
export const MAX_ID = 2_147_483_647;

/** `@Param('id', IdPipe)`: a row id in plain decimal from 1 to MAX_ID, else a 400 naming the parameter. */
@Injectable()
export class IdPipe implements PipeTransform<unknown, number> {
  transform(value: unknown, metadata: ArgumentMetadata): number {
    const field = metadata.data ?? 'id';
    const n = typeof value === 'string' && /^[1-9]\d{0,9}$/.test(value) ? Number(value) : NaN;
    if (!(n >= 1 && n <= MAX_ID))
      throw ValidationFailedError.field(field, `${field} must be a whole number from 1 to ${MAX_ID}`);
    return n;
  }
}
