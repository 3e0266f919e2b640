import { BadRequestException, NotFoundException, ServiceUnavailableException } from '@nestjs/common';
import { ValidationFailedError, NotFoundError, ForbiddenError } from './errors';
import { toErrorBody } from './error.filter';

describe('toErrorBody', () => {
  it('maps domain errors with their code and details', () => {
    expect(toErrorBody(ValidationFailedError.field('unitId', 'unitId must be 1–247'), 'r1')).toEqual({
      statusCode: 400,
      code: 'validation_failed',
      message: 'unitId must be 1–247',
      details: [{ field: 'unitId', message: 'unitId must be 1–247' }],
    });
    expect(toErrorBody(new NotFoundError('terminal', 7), 'r1')).toMatchObject({ statusCode: 404, code: 'not_found' });
    expect(toErrorBody(new ForbiddenError('forbidden_area', 'no'), 'r1')).toMatchObject({
      statusCode: 403,
      code: 'forbidden_area',
    });
  });

  it('maps Nest HTTP exceptions to the same body', () => {
    expect(toErrorBody(new NotFoundException('Cannot GET /x'), 'r1')).toEqual({
      statusCode: 404,
      code: 'not_found',
      message: 'Cannot GET /x',
    });
    expect(toErrorBody(new BadRequestException(['a', 'b']), 'r1')).toMatchObject({ statusCode: 400, message: 'a; b' });
    const health = { status: 'error', error: { database: { status: 'down' } } };
    expect(toErrorBody(new ServiceUnavailableException(health), 'r1')).toMatchObject({
      statusCode: 503,
      code: 'unavailable',
      details: health,
    });
  });

  it('turns anything else into a 500 with the correlation id and no internals', () => {
    const body = toErrorBody(new Error('ER_ACCESS_DENIED for user root at 10.0.0.5'), 'req-9');
    expect(body).toEqual({
      statusCode: 500,
      code: 'internal_error',
      message: 'internal error; quote correlation id req-9',
      details: { correlationId: 'req-9' },
    });
    expect(toErrorBody('a string', 'req-10').statusCode).toBe(500);
    expect(toErrorBody({ status: 500, expose: false, message: 'secret' }, 'x').message).not.toContain('secret');
  });
});
