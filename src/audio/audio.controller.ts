import {
  Body,
  Controller,
  Delete,
  Get,
  Headers,
  HttpCode,
  Param,
  Post,
  Query,
  Res,
  StreamableFile,
  UploadedFile,
  UseInterceptors,
} from '@nestjs/common';
import { FileInterceptor } from '@nestjs/platform-express';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiBody,
  ApiConsumes,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiProduces,
  ApiTags,
} from '@nestjs/swagger';
import { ApiErrors } from '../common/api-docs';
import type { Response } from 'express';
import type { AuthUser } from '../auth/auth-user';
import { CurrentUser, Roles } from '../auth/decorators';
import { pageWindow } from '../common/paging';
import { AudioCapabilitiesService } from './audio-capabilities.service';
import {
  AudioCapabilitiesDto,
  ClipDto,
  ClipListQueryDto,
  ClipPageDto,
  ClipStartedDto,
  CodecProfileDto,
  JobDto,
  PhonemesDto,
  PhonemesRequestDto,
  SpeechRequestDto,
  UPLOAD_BODY_SCHEMA,
  UploadClipDto,
} from './audio.dto';
import { AudioService, type UploadedAudio } from './audio.service';
import { CODEC_PROFILES } from './media/codec-profiles';
import { SpeechService } from './tts/speech.service';

@ApiTags('audio')
@ApiBearerAuth()
@ApiErrors(401)
@Controller('api/audio')
export class AudioController {
  constructor(
    private readonly audio: AudioService,
    private readonly speech: SpeechService,
    private readonly capabilities: AudioCapabilitiesService,
  ) {}

  /** Which audio features this server offers, and why any is off (ffmpeg or espeak-ng missing). */
  @Get('capabilities')
  @ApiOkResponse({ type: AudioCapabilitiesDto })
  @ApiOperation({ summary: 'Which audio features this server offers, and why any is off' })
  capabilitiesNow(): Promise<AudioCapabilitiesDto> {
    return this.capabilities.current();
  }

  /** The codecs every clip is transcoded to (the terminals' declared codecs). */
  @Get('profiles')
  @ApiOkResponse({ type: [CodecProfileDto] })
  @ApiOperation({ summary: 'The codecs every clip is transcoded to' })
  profiles(): CodecProfileDto[] {
    return CODEC_PROFILES.map(({ encoderArgs: _, extension: __, ...p }) => p);
  }

  @Get('clips')
  @ApiOkResponse({ type: ClipPageDto })
  @ApiOperation({ summary: 'List library clips' })
  @ApiErrors(400)
  list(@Query() q: ClipListQueryDto): Promise<ClipPageDto> {
    const { limit, offset } = pageWindow(q);
    return this.audio.list(q.kind, limit, offset);
  }

  @Get('clips/:id')
  @ApiOkResponse({ type: ClipDto })
  @ApiOperation({ summary: 'One clip with its variants' })
  @ApiErrors(404)
  get(@Param('id') id: string): Promise<ClipDto> {
    return this.audio.get(id);
  }

  /** Upload a recording: checked at once (400 with the reason, nothing stored), then normalised and transcoded as a job. */
  @Post('clips')
  @Roles('officer')
  @HttpCode(202)
  @ApiConsumes('multipart/form-data')
  @ApiBody({ schema: UPLOAD_BODY_SCHEMA })
  @UseInterceptors(FileInterceptor('file'))
  @ApiAcceptedResponse({ type: ClipStartedDto })
  @ApiOperation({ summary: 'Upload a recording (checked at once, then processed as a job)' })
  @ApiErrors(400, 403, 413, 503)
  upload(
    @CurrentUser() user: AuthUser,
    @UploadedFile() file: UploadedAudio | undefined,
    @Body() body: UploadClipDto,
  ): Promise<ClipStartedDto> {
    return this.audio.upload(user, file, body.title);
  }

  /** Mandarin text-to-speech into a clip, as a job. */
  @Post('tts')
  @Roles('officer')
  @HttpCode(202)
  @ApiAcceptedResponse({ type: ClipStartedDto })
  @ApiOperation({ summary: 'Mandarin text-to-speech into a clip, as a job' })
  @ApiErrors(400, 403, 503)
  synthesise(@CurrentUser() user: AuthUser, @Body() body: SpeechRequestDto): Promise<ClipStartedDto> {
    return this.speech.synthesise(user, body);
  }

  /** What the engine would say: the normalised text and its phonemes (nothing stored). */
  @Post('tts/phonemes')
  @HttpCode(200)
  @ApiOkResponse({ type: PhonemesDto })
  @ApiOperation({ summary: 'What text-to-speech would say: normalised text and phonemes' })
  @ApiErrors(400, 503)
  phonemes(@Body() body: PhonemesRequestDto): Promise<PhonemesDto> {
    return this.speech.phonemes(body.text);
  }

  /** Generates every built-in tone not stored yet (they are otherwise generated on first use). */
  @Post('tones/generate')
  @Roles('admin')
  @HttpCode(202)
  @ApiAcceptedResponse({ type: [JobDto] })
  @ApiOperation({ summary: 'Generate every built-in tone not stored yet' })
  @ApiErrors(403, 503)
  generateTones(): Promise<JobDto[]> {
    return this.audio.generateTones();
  }

  @Get('jobs/:id')
  @ApiOkResponse({ type: JobDto })
  @ApiOperation({ summary: 'Progress of an audio job' })
  @ApiErrors(404)
  job(@Param('id') id: string): JobDto {
    return this.audio.job(id);
  }

  /** A variant's bytes, with HTTP range requests (206 / Accept-Ranges / Content-Range), for browser previews. */
  @Get('clips/:id/variants/:profile/content')
  @ApiParam({ name: 'profile', example: 'mp3-64k' })
  @ApiProduces('audio/mpeg', 'audio/ogg')
  @ApiOkResponse({ description: 'the whole file (200) or the requested range (206)' })
  @ApiOperation({ summary: "A clip variant's bytes, with range requests" })
  @ApiErrors(404, 409)
  async content(
    @Param('id') id: string,
    @Param('profile') profile: string,
    @Headers('range') range: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<StreamableFile | undefined> {
    const content = await this.audio.content(id, profile, range);
    res.status(content.status).set(content.headers);
    return content.body ? new StreamableFile(content.body) : undefined;
  }

  /** Deletes a clip; 409 while an alert or schedule refers to it, and for built-in tones. */
  @Delete('clips/:id')
  @Roles('officer')
  @HttpCode(204)
  @ApiNoContentResponse()
  @ApiOperation({ summary: 'Delete a clip' })
  @ApiErrors(403, 404, 409)
  remove(@CurrentUser() user: AuthUser, @Param('id') id: string): Promise<void> {
    return this.audio.remove(user, id);
  }
}
