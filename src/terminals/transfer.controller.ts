import { Body, Controller, Get, HttpCode, Post, Query, Res, StreamableFile, UploadedFile, UseInterceptors } from '@nestjs/common';
import { FileInterceptor } from '@nestjs/platform-express';
import { ApiBearerAuth, ApiConsumes, ApiTags } from '@nestjs/swagger';
import { IsIn, IsString, Matches } from 'class-validator';
import type { Response } from 'express';
import type { AuthUser } from '../auth/auth-user';
import { CurrentUser, Roles } from '../auth/decorators';
import { ValidationFailedError } from '../common/errors';
import { ImportResult, RegistryTransferService } from './registry-transfer.service';
import type { TableFormat } from './tabular';
import { ExportLimit } from '../common/export-limit';
import { Optional } from '../common/validation';

/** Multipart body besides `file`: the format, when the file name does not tell it. */
export class ImportBodyDto {
  @Optional()
  @IsIn(['csv', 'xlsx'])
  format?: TableFormat;
}

export class RegionExportQueryDto {
  @Optional()
  @IsString()
  @Matches(/^\d{12}(\d{3})?$/, { message: 'root must be a 12-digit area code or a 15-digit group code' })
  root?: string;

  @Optional()
  @IsIn(['csv', 'xlsx'])
  format?: TableFormat;
}

interface Upload {
  originalname: string;
  buffer: Buffer;
}

const UPLOAD = FileInterceptor('file', { limits: { fileSize: 20 * 1024 * 1024, files: 1 } });

function formatOf(file: Upload | undefined, given?: TableFormat): { body: Buffer; format: TableFormat } {
  if (!file) throw ValidationFailedError.field('file', 'upload the table as multipart field "file"');
  const ext = file.originalname.toLowerCase().split('.').pop();
  const format = given ?? (ext === 'xlsx' ? 'xlsx' : ext === 'csv' ? 'csv' : null);
  if (!format) throw ValidationFailedError.field('format', 'name the file *.csv or *.xlsx, or give format=csv|xlsx');
  return { body: file.buffer, format };
}

/** Bulk import (all or nothing) of the installer's spreadsheets, and region export. */
@ApiTags('registry import')
@ApiBearerAuth()
@Controller('api')
export class TransferController {
  constructor(private readonly transfer: RegistryTransferService) {}

  @Post('regions/import')
  @HttpCode(200)
  @Roles('technician')
  @ApiConsumes('multipart/form-data')
  @UseInterceptors(UPLOAD)
  importRegions(@UploadedFile() file: Upload | undefined, @Body() body: ImportBodyDto, @CurrentUser() user: AuthUser): Promise<ImportResult> {
    const { body: data, format } = formatOf(file, body.format);
    return this.transfer.importRegions(data, format, user);
  }

  @Post('gateways/import')
  @HttpCode(200)
  @Roles('technician')
  @ApiConsumes('multipart/form-data')
  @UseInterceptors(UPLOAD)
  importGateways(@UploadedFile() file: Upload | undefined, @Body() body: ImportBodyDto, @CurrentUser() user: AuthUser): Promise<ImportResult> {
    const { body: data, format } = formatOf(file, body.format);
    return this.transfer.importGateways(data, format, user);
  }

  @Post('terminals/import')
  @HttpCode(200)
  @Roles('technician')
  @ApiConsumes('multipart/form-data')
  @UseInterceptors(UPLOAD)
  importTerminals(@UploadedFile() file: Upload | undefined, @Body() body: ImportBodyDto, @CurrentUser() user: AuthUser): Promise<ImportResult> {
    const { body: data, format } = formatOf(file, body.format);
    return this.transfer.importTerminals(data, format, user);
  }

  @Get('regions/export')
  @UseInterceptors(ExportLimit)
  async exportRegions(@Query() q: RegionExportQueryDto, @CurrentUser() user: AuthUser, @Res({ passthrough: true }) res: Response): Promise<StreamableFile> {
    const file = await this.transfer.exportRegions(user, q.root, q.format ?? 'csv');
    res.setHeader('Content-Type', file.type);
    res.setHeader('Content-Disposition', `attachment; filename="${file.name}"`);
    return new StreamableFile(file.body);
  }
}
