/**
 * OpenAPI for the error side of a route: the one error body the filter writes (src/common/error.filter.ts) and the
 * statuses a route can answer with. Every route declares `@ApiOperation({ summary })` and `@ApiErrors(...)`;
 * test/foundation/openapi.test.ts walks the generated document.
 */
import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional, ApiResponse } from '@nestjs/swagger';

/** The body of every error answer. */
export class ErrorBodyDto {
  @ApiProperty({ example: 400 })
  statusCode!: number;

  @ApiProperty({ example: 'validation_failed', description: 'stable machine-readable code' })
  code!: string;

  @ApiProperty({ example: 'areaCode must be a 12-digit area code' })
  message!: string;

  @ApiPropertyOptional({
    description:
      'for validation_failed one {field, message} per field, for import_rejected one {row, column, message} per error',
    example: [{ field: 'areaCode', message: 'areaCode must be a 12-digit area code' }],
  })
  details?: unknown;
}

const MEANING = {
  400: 'Bad input: `validation_failed` names each field (`details: [{field, message}]`); nothing is written.',
  401: 'No valid token of an enabled account.',
  403: 'The role or the area scope of the account does not reach it (`forbidden_role`, `forbidden_area`, `forbidden_scope`).',
  404: "No such resource (or none within the reader's scope).",
  409: 'Refused in the current state (the code says why, e.g. `illegal_transition`, `region_in_use`).',
  413: 'The upload is larger than allowed.',
  429: 'Too many attempts; try again after `details.retryAfterSeconds`.',
  502: 'The terminal answered with a reply that could not be read (`terminal_bad_reply`).',
  503: 'The feature is off on this server (`audio_unavailable`: ffmpeg or espeak-ng missing).',
  504: 'The terminal did not answer (`terminal_unreachable`).',
} as const;

export type ErrorStatus = keyof typeof MEANING;

/** The error responses a route (or every route of a controller) can give, each with the one error body. */
export function ApiErrors(...statuses: ErrorStatus[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ...statuses.map((status) => ApiResponse({ status, description: MEANING[status], type: ErrorBodyDto })),
  );
}
