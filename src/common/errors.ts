/**
 * Domain errors carry a code; one exception filter (src/common/error.filter.ts) maps them to the single error body
 * `{statusCode, code, message, details}`. Services throw these, never HttpException.
 */
export interface FieldMessage {
  field: string;
  message: string;
}

export interface RowMessage {
  row: number;
  column: string;
  message: string;
}

/** Absolute file paths of this machine (two segments or more), as tools print them; not relative ones (xl/a/b.xml). */
const FILE_PATH = /(?<![\w./-])(?:[A-Za-z]:)?(?:\/[^\s/:'"()<>]+){2,}\/?/g;

/** A message as it may leave the server: file paths of this machine replaced by "<file>". */
export function withoutPaths(message: string): string {
  return message.replace(FILE_PATH, '<file>');
}

export class DomainError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number = 400,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** 400 with one entry per offending field. */
export class ValidationFailedError extends DomainError {
  constructor(message: string, fields: FieldMessage[]) {
    super('validation_failed', message, 400, fields);
  }
  static field(field: string, message: string): ValidationFailedError {
    return new ValidationFailedError(message, [{ field, message }]);
  }
}

/** 400 for an import: every bad row and column, nothing written. */
export class ImportRejectedError extends DomainError {
  constructor(rows: RowMessage[]) {
    super('import_rejected', `import rejected: ${rows.length} error(s); nothing was written`, 400, rows);
  }
}

/** 413 for an import beyond what the server reads: its size once inflated, its rows or columns, or its parsing time. */
export class ImportTooLargeError extends DomainError {
  constructor(message: string) {
    super('import_too_large', `import refused: ${message}; nothing was written`, 413);
  }
}

export class NotFoundError extends DomainError {
  constructor(what: string, id: string | number) {
    super('not_found', `${what} ${id} does not exist`, 404, { what, id });
  }
}

export class ConflictError extends DomainError {
  constructor(code: string, message: string, details?: unknown) {
    super(code, message, 409, details);
  }
}

/** 403: the user's role or area scope does not reach what was asked. */
export class ForbiddenError extends DomainError {
  constructor(
    code: 'forbidden_role' | 'forbidden_area' | 'forbidden_scope' | 'forbidden',
    message: string,
    details?: unknown,
  ) {
    super(code, message, 403, details);
  }
}

export class UnauthorizedError extends DomainError {
  constructor(message = 'authentication required') {
    super('unauthorized', message, 401);
  }
}
