import { Type } from 'class-transformer';
import { IsInt, IsString, Max, ValidateNested } from 'class-validator';
import { ValidationFailedError } from './errors';
import { createValidationPipe } from './validation';

class Target {
  @IsString()
  areaCode!: string;
}

class Body {
  @IsInt()
  @Max(247)
  unitId!: number;

  @ValidateNested({ each: true })
  @Type(() => Target)
  targets!: Target[];
}

describe('validation pipe', () => {
  it('reports one entry per field, nested paths spelled out, unknown fields refused', async () => {
    const pipe = createValidationPipe();
    const error = await pipe
      .transform(
        { unitId: 248, targets: [{ areaCode: 'x' }, { areaCode: 3 }], colour: 'red' },
        { type: 'body', metatype: Body },
      )
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(ValidationFailedError);
    const details = (error as ValidationFailedError).details as { field: string; message: string }[];
    expect(details.map((d) => d.field).sort()).toEqual(['colour', 'targets.1.areaCode', 'unitId']);
    expect(details.find((d) => d.field === 'colour')?.message).toBe('colour is not an accepted field');
  });
});
