import {
  Body,
  Controller,
  Get,
  HttpCode,
  Post,
  Query,
  Res,
  StreamableFile,
  UploadedFile,
  UseInterceptors,
} from '@nestjs/common';
import { FileInterceptor } from '@nestjs/platform-express';
import { ApiBearerAuth, ApiConsumes, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/api-docs';
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
@ApiErrors(401)
@Controller('api')
export class TransferController {
  constructor(private readonly transfer: RegistryTransferService) {}

  @Post('regions/import')
  @HttpCode(200)
  @Roles('technician')
  @ApiConsumes('multipart/form-data')
  @UseInterceptors(UPLOAD)
  @ApiOperation({ summary: 'Import regions from CSV or XLSX (all or nothing)' })
  @ApiErrors(400, 403)
  importRegions(
    @UploadedFile() file: Upload | undefined,
    @Body() body: ImportBodyDto,
    @CurrentUser() user: AuthUser,
  ): Promise<ImportResult> {
    const { body: data, format } = formatOf(file, body.format);
    return this.transfer.importRegions(data, format, user);
  }

  @Post('gateways/import')
  @HttpCode(200)
  @Roles('technician')
  @ApiConsumes('multipart/form-data')
  @UseInterceptors(UPLOAD)
  @ApiOperation({ summary: 'Import gateways from CSV or XLSX (all or nothing)' })
  @ApiErrors(400, 403)
  importGateways(
    @UploadedFile() file: Upload | undefined,
    @Body() body: ImportBodyDto,
    @CurrentUser() user: AuthUser,
  ): Promise<ImportResult> {
    const { body: data, format } = formatOf(file, body.format);
    return this.transfer.importGateways(data, format, user);
  }

  @Post('terminals/import')
  @HttpCode(200)
  @Roles('technician')
  @ApiConsumes('multipart/form-data')
  @UseInterceptors(UPLOAD)
  @ApiOperation({ summary: 'Import terminals from CSV or XLSX (all or nothing)' })
  @ApiErrors(400, 403)
  importTerminals(
    @UploadedFile() file: Upload | undefined,
    @Body() body: ImportBodyDto,
    @CurrentUser() user: AuthUser,
  ): Promise<ImportResult> {
    const { body: data, format } = formatOf(file, body.format);
    return this.transfer.importTerminals(data, format, user);
  }

  @Get('regions/export')
  @UseInterceptors(ExportLimit)
  @ApiOperation({ summary: 'Export the region tree as CSV or XLSX' })
  @ApiErrors(400, 403)
  async exportRegions(
    @Query() q: RegionExportQueryDto,
    @CurrentUser() user: AuthUser,
    @Res({ passthrough: true }) res: Response,
  ): Promise<StreamableFile> {
    const file = await this.transfer.exportRegions(user, q.root, q.format ?? 'csv');
    res.setHeader('Content-Type', file.type);
    res.setHeader('Content-Disposition', `attachment; filename="${file.name}"`);
    return new StreamableFile(file.body);
  }
}
