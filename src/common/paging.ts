/**
 * One way to page every list of the API: `page` (1-based) and `pageSize` (≤ 500); responses carry `items` and `total`.
 */
import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional } from 'class-validator';
import { QueryInt } from './validation';

export const MAX_PAGE_SIZE = 500;
/** Beyond any list the system holds; a larger page is a request error, not an SQL one. */
export const MAX_PAGE = 1_000_000;

export class PageQueryDto {
  @ApiPropertyOptional({ default: 1, minimum: 1, maximum: MAX_PAGE })
  @IsOptional()
  @QueryInt(1, MAX_PAGE)
  page: number = 1;

  @ApiPropertyOptional({ default: 50, minimum: 1, maximum: MAX_PAGE_SIZE })
  @IsOptional()
  @QueryInt(1, MAX_PAGE_SIZE)
  pageSize: number = 50;
}

export interface Page<T> {
  items: T[];
  total: number;
}

/** The SQL window of a page query. */
export function pageWindow(q: PageQueryDto): { limit: number; offset: number } {
  return { limit: q.pageSize, offset: (q.page - 1) * q.pageSize };
}
