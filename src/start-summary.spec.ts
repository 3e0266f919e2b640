import type { INestApplication } from '@nestjs/common';
import { AudioCapabilitiesService } from './audio/audio-capabilities.service';
import { AccountsBootstrap } from './auth/accounts.bootstrap';
import { loadConfig, type AppConfig } from './config/config';
import { DemoNetwork } from './field/demo-network';
import { FieldBuses } from './field/field-buses';
import { startFacts, startSummary } from './start-summary';

const TOOLS = [
  { name: 'ffmpeg', available: true, detail: 'ffmpeg version 4.1', origin: 'npm @ffmpeg-installer/ffmpeg' },
  { name: 'ffprobe', available: true, detail: 'ffprobe version 6', origin: 'npm @ffprobe-installer/ffprobe' },
  {
    name: 'espeak-ng (cmn-latn-pinyin)',
    available: true,
    detail: 'eSpeak NG compiled to WebAssembly',
    origin: 'npm @echogarden/espeak-ng-emscripten (WebAssembly)',
  },
];

/** The services startFacts reads, as a started demo has them: the accounts' password is the one in use. */
function app(password: string): INestApplication {
  const services = new Map<unknown, unknown>([
    [AudioCapabilitiesService, { current: async () => ({ tools: TOOLS }) }],
    [AccountsBootstrap, { demoPassword: password }],
    [DemoNetwork, { running: true, deadAtStart: 1 }],
    [FieldBuses, { busStates: () => [{ units: 12 }, { units: 10 }] }],
  ]);
  return { get: (token: unknown) => services.get(token) } as unknown as INestApplication;
}

const demo = (env: Record<string, string> = {}): AppConfig =>
  loadConfig({ DALABA_DATA_DIR: '/srv/d', ...env }, ['--demo']);

describe('the start summary', () => {
  it('names the console, API docs, data folder, audio tools, county and accounts, and a generated password', async () => {
    const lines = startSummary(await startFacts(app('Gen3rated-pw'), demo(), 'http://localhost:3000')).join('\n');
    for (const part of [
      'console   http://localhost:3000/',
      'API docs  http://localhost:3000/api/docs',
      'data      /srv/d',
      '[npm @ffmpeg-installer/ffmpeg]',
      'speech    eSpeak NG compiled to WebAssembly',
      '2 gateways, 22 terminals (1 dead from the start)',
      'approver',
      'password  Gen3rated-pw',
    ]) {
      expect(lines).toContain(part);
    }
  });

  it('never prints a password the operator supplied', async () => {
    const lines = startSummary(
      await startFacts(
        app('my-own-secret-pw'),
        demo({ DALABA_DEMO_PASSWORD: 'my-own-secret-pw' }),
        'http://localhost:3000',
      ),
    ).join('\n');
    expect(lines).not.toContain('my-own-secret-pw');
    expect(lines).toContain('password  the one set in DALABA_DEMO_PASSWORD');
  });

  it('says when the instance is one of a cluster, and says nothing of it otherwise', async () => {
    const alone = startSummary(await startFacts(app('pw-12345678'), demo(), 'http://localhost:3000')).join('\n');
    expect(alone).not.toContain('cluster');
    const member = startSummary(
      await startFacts(
        app('pw-12345678'),
        demo({
          DATABASE_URL: 'mysql://u:p@db:3306/dalaba',
          DALABA_CLUSTER: 'on',
          DALABA_INSTANCE_ID: 'ctl-2',
          DALABA_REDIS_URL: 'redis://:secret-pw@cache:6379/1',
        }),
        'http://localhost:3000',
      ),
    ).join('\n');
    expect(member).toContain('cluster   member ctl-2, leases of 4000 ms in the shared database');
    expect(member).toContain('redis     /live shared with the other instances through cache:6379 (prefix dalaba)');
    expect(member).not.toContain('secret-pw');
    expect(alone).not.toContain('redis');
  });
});
