/**
 * The block printed once the server listens: where the console and the API docs are, where data lives, which tools
 * serve audio and speech, and in the demo the accounts with their roles, the size of the simulated county and the
 * password (only when the demo generated it; a password the operator supplied is not echoed).
 */
import type { INestApplication } from '@nestjs/common';
import { AudioCapabilitiesService } from './audio/audio-capabilities.service';
import { ROLES } from './auth/auth-user';
import { AccountsBootstrap } from './auth/accounts.bootstrap';
import type { AppConfig } from './config/config';
import { DemoNetwork } from './field/demo-network';
import { FieldBuses } from './field/field-buses';

const ROLE_DUTIES: Record<(typeof ROLES)[number], string> = {
  admin: 'everything, users and settings, the whole province',
  officer: 'composes alerts and broadcasts in the demo county',
  approver: "approves or rejects the officers' alerts",
  technician: 'gateways, terminals, diagnostics and tone provisioning',
  viewer: 'reads the overview, alarms and reports',
};

export interface StartFacts {
  url: string;
  config: AppConfig;
  audio: { name: string; available: boolean; detail: string; origin: string }[];
  demoPassword: string | null;
  county: { gateways: number; terminals: number; dead: number } | null;
}

export function startSummary(f: StartFacts): string[] {
  const { url, config } = f;
  const lines = [
    `Dalaba ${config.demo ? 'demo ' : ''}is listening on ${url}`,
    `  console   ${url}/`,
    `  API docs  ${url}/api/docs   (health ${url}/health, metrics ${url}/metrics)`,
    `  data      ${config.dataDir} (database: ${config.database.kind})`,
  ];
  if (config.cluster.enabled)
    lines.push(
      `  cluster   member ${config.cluster.instanceId}, leases of ${config.cluster.leaseMs} ms in the shared database`,
    );
  const redis = config.cluster.redisUrl?.reveal();
  if (redis)
    lines.push(
      `  redis     /live shared with the other instances through ${new URL(redis).host} (prefix ${config.cluster.redisPrefix}), WebSocket only`,
    );
  for (const [i, t] of f.audio.entries()) {
    const label = i === f.audio.length - 1 ? 'speech' : t.name;
    lines.push(`  ${label.padEnd(9)} ${t.available ? t.detail : `OFF: ${t.detail}`} [${t.origin}]`);
  }
  if (config.demo) {
    if (f.county)
      lines.push(
        `  county    simulated: ${f.county.gateways} gateways, ${f.county.terminals} terminals (${f.county.dead} dead from the start)`,
      );
    else lines.push('  county    no simulated field (DALABA_FIELD=off)');
    lines.push('  accounts  (user name = role)');
    for (const r of ROLES) lines.push(`    ${r.padEnd(11)} ${ROLE_DUTIES[r]}`);
    lines.push(
      f.demoPassword
        ? `  password  ${f.demoPassword}   (generated, kept in ${config.dataDir}; set DALABA_DEMO_PASSWORD to choose one)`
        : '  password  the one set in DALABA_DEMO_PASSWORD',
    );
  }
  return lines;
}

export async function startFacts(app: INestApplication, config: AppConfig, url: string): Promise<StartFacts> {
  const caps = await app.get(AudioCapabilitiesService).current();
  const demo = app.get(DemoNetwork, { strict: false });
  const buses = config.field.enabled ? app.get(FieldBuses, { strict: false }).busStates() : [];
  return {
    url,
    config,
    audio: caps.tools,
    // printed only when generated: a password the operator chose stays out of the output
    demoPassword: config.demo && config.demoPassword === null ? app.get(AccountsBootstrap).demoPassword : null,
    county: demo?.running
      ? { gateways: buses.length, terminals: buses.reduce((n, b) => n + b.units, 0), dead: demo.deadAtStart }
      : null,
  };
}
