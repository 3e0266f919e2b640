/**
 * Relay programmes (docs/relay.md): what plays — source, fallback, volume, priority class, targets. Editing a
 * programme never changes what is on air: a published schedule plays the programme as it was reviewed.
 */
import { Injectable, OnModuleInit } from '@nestjs/common';
import { areaIndexOf, fieldChanges } from '../alerts/alert-rules';
import type { FieldChanges } from '../alerts/alert.entities';
import { AlertsRepository } from '../alerts/alerts.repository';
import { ClipReferences } from '../audio/library/clip-references';
import { AudioService } from '../audio/audio.service';
import { AuditService } from '../audit/audit.service';
import type { AuthUser } from '../auth/auth-user';
import { assertCanReach } from '../auth/scope';
import { Clock } from '../common/clock';
import { ForbiddenError, NotFoundError, ValidationFailedError, type FieldMessage } from '../common/errors';
import type { Page } from '../common/paging';
import { Transactions, type Tx } from '../database/transactions';
import { assertMayUseClass, checkSource, codesOf, covers, nextScheduleState, priorityOfClass } from './relay-rules';
import { ProgrammeEntity, type PriorityClass, type ProgrammeSource, type RelayScheduleEntity } from './relay.entities';
import { RelayRepository } from './relay.repository';
import { RelayChanges, programmeView, scheduleView, type ProgrammeView } from './relay-view';
import { areaIndexPatterns } from '../alerts/alert-rules';
import { isUnrestricted } from '../auth/scope';

export interface ProgrammeInput {
  name: string;
  source: ProgrammeSource;
  fallback: ProgrammeSource | null;
  minSignalQuality: number | null;
  volume: number;
  priorityClass: PriorityClass;
  targets: { areaCodes: string[]; terminalIds: number[] };
}

/** Programmes read at most per listing (a county has dozens). */
const LIST_WINDOW = 2000;

@Injectable()
export class ProgrammesService implements OnModuleInit {
  constructor(
    private readonly repo: RelayRepository,
    private readonly registry: AlertsRepository,
    private readonly transactions: Transactions,
    private readonly audit: AuditService,
    private readonly audio: AudioService,
    private readonly clipReferences: ClipReferences,
    private readonly changes: RelayChanges,
    private readonly clock: Clock,
  ) {}

  onModuleInit(): void {
    this.clipReferences.register({
      name: 'programme',
      find: async (clipId, tx) =>
        (await this.repo.usingClip(clipId, tx)).map((p) => ({ kind: 'programme', id: p.id, label: p.name })),
    });
  }

  async list(user: AuthUser, limit: number, offset: number): Promise<Page<ProgrammeView>> {
    const patterns = isUnrestricted(user) ? null : user.scopes.flatMap(areaIndexPatterns);
    const [rows] = await this.repo.programmes(patterns, LIST_WINDOW, 0);
    const mine = rows.filter((p) => covers(user, p.areaIndex));
    return { items: mine.slice(offset, offset + limit).map(programmeView), total: mine.length };
  }

  async get(id: number, user: AuthUser): Promise<ProgrammeView> {
    return programmeView(await this.visible(id, user));
  }

  async create(plain: ProgrammeInput, user: AuthUser): Promise<ProgrammeView> {
    const areaIndex = await this.check(plain, user);
    const input = await this.withComposed(plain, null, user);
    const now = this.clock.date();
    const saved = await this.transactions.run(async (tx) => {
      const p = await this.repo.saveProgramme(
        tx,
        Object.assign(new ProgrammeEntity(), {
          ...input,
          name: input.name.trim(),
          priority: priorityOfClass(input.priorityClass),
          areaIndex,
          createdById: user.id,
          createdAt: now,
          updatedAt: now,
        }),
      );
      await this.audit.record(
        {
          actor: user,
          action: 'relay.programme.create',
          entityType: 'programme',
          entityId: p.id,
          after: programmeView(p),
        },
        tx,
      );
      return p;
    });
    return this.announce(saved, '', []);
  }

  /**
   * A change of what a programme plays is a change of each of its schedules: it is written into their review
   * histories (the editor becomes one of their authors, who may not approve them) and sends a submitted or published
   * working revision back to draft, as an edit of the schedule itself would.
   */
  async update(id: number, patch: Partial<ProgrammeInput>, user: AuthUser): Promise<ProgrammeView> {
    const current = await this.visible(id, user);
    const merged: ProgrammeInput = {
      ...this.inputOf(current),
      ...Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)),
    };
    if (Object.keys(fieldChanges(this.inputOf(current), merged)).length === 0) return programmeView(current);
    const areaIndex = await this.check(merged, user);
    const composed = await this.withComposed(merged, current, user);
    let former = '';
    let revised: RelayScheduleEntity[] = [];
    const saved = await this.transactions.run(async (tx) => {
      const p = await this.load(id, tx);
      former = p.areaIndex;
      const changes = fieldChanges(this.inputOf(p), merged);
      revised = await this.reviseSchedules(tx, id, user, changes);
      const before = programmeView(p);
      Object.assign(p, composed, {
        name: merged.name.trim(),
        priority: priorityOfClass(merged.priorityClass),
        areaIndex,
        updatedAt: this.clock.date(),
      });
      const after = await this.repo.saveProgramme(tx, p);
      await this.audit.record(
        {
          actor: user,
          action: 'relay.programme.update',
          entityType: 'programme',
          entityId: id,
          before,
          after: programmeView(after),
        },
        tx,
      );
      return after;
    });
    return this.announce(saved, former, revised);
  }

  /**
   * Tells the live view, after commit, of a programme created or edited and of its schedules an edit sent back to
   * draft. A schedule is seen by those its programme's targets (and the revision on air's) are all in scope of.
   */
  private announce(p: ProgrammeEntity, formerIndex: string, revised: RelayScheduleEntity[]): ProgrammeView {
    const view = programmeView(p);
    this.changes.stream.next({
      kind: 'programme',
      programme: view,
      areaCodes: codesOf(p.areaIndex),
      formerAreaCodes: codesOf(formerIndex),
    });
    for (const s of revised) {
      const areaCodes = [...new Set([...codesOf(p.areaIndex), ...codesOf(s.published?.areaIndex ?? '')])];
      this.changes.stream.next({ kind: 'schedule', schedule: scheduleView(s, p), areaCodes });
    }
    return view;
  }

  /** Each schedule of the programme: the edit in its history, back to draft if it was under review or on air. */
  private async reviseSchedules(
    tx: Tx,
    programmeId: number,
    user: AuthUser,
    changes: FieldChanges,
  ): Promise<RelayScheduleEntity[]> {
    const now = this.clock.date();
    const schedules = await this.repo.schedulesOf([programmeId], tx);
    for (const s of schedules) {
      if (s.state === 'submitted' || s.state === 'published') {
        if (s.published?.revision === s.revision) s.revision += 1;
        Object.assign(s, { state: nextScheduleState(s.state, 'edit'), submittedById: null, submittedAt: null });
      }
      s.updatedAt = now;
      await this.repo.saveSchedule(tx, s);
      await this.repo.addRevision(tx, {
        scheduleId: s.id,
        revision: s.revision,
        at: now,
        action: 'edited',
        userId: user.id,
        userName: user.username.slice(0, 64),
        changes: Object.fromEntries(Object.entries(changes).map(([k, v]) => [`programme.${k}`, v])),
      });
    }
    return schedules;
  }

  /** The programme if the user sees it (every target in their scope); 403 otherwise, 404 when there is none. */
  async visible(id: number, user: AuthUser, tx?: Tx): Promise<ProgrammeEntity> {
    const p = await this.load(id, tx);
    if (!covers(user, p.areaIndex))
      throw new ForbiddenError('forbidden_area', `programme ${id} targets areas outside your area scope`, {
        programmeId: id,
      });
    return p;
  }

  private async load(id: number, tx?: Tx): Promise<ProgrammeEntity> {
    const p = await this.repo.programme(id, tx);
    if (!p) throw new NotFoundError('programme', id);
    return p;
  }

  /** Sources, clips, registered areas, known terminals, all in the user's scope, a class the user may give; the area index. */
  private async check(input: ProgrammeInput, user: AuthUser): Promise<string> {
    const fields: FieldMessage[] = checkSource(input.source, 'source');
    if (input.fallback) {
      fields.push(...checkSource(input.fallback, 'fallback'));
      if (input.fallback.kind === input.source.kind)
        fields.push({
          field: 'fallback.kind',
          message: 'the fallback must be another kind of source than the main one',
        });
    }
    for (const [key, s] of [
      ['source', input.source],
      ['fallback', input.fallback],
    ] as const)
      for (const [i, clipId] of (s?.clipIds ?? []).entries())
        if (!(await this.clipExists(clipId)))
          fields.push({ field: `${key}.clipIds.${i}`, message: `no library clip ${clipId}` });
    const { areaCodes, terminalIds } = input.targets;
    if (areaCodes.length === 0 && terminalIds.length === 0)
      fields.push({ field: 'targets', message: 'targets must name at least one area or terminal' });
    const registered = await this.registry.registeredAreas(areaCodes);
    for (const [i, code] of areaCodes.entries())
      if (!registered.has(code))
        fields.push({ field: `targets.areaCodes.${i}`, message: `no region with area code ${code} is registered` });
    const places = new Map((await this.registry.terminalPlaces(terminalIds)).map((t) => [t.id, t]));
    for (const [i, tid] of terminalIds.entries())
      if (!places.has(tid))
        fields.push({ field: `targets.terminalIds.${i}`, message: `terminal ${tid} does not exist` });
    if (fields.length > 0)
      throw new ValidationFailedError(`invalid programme: ${fields.map((f) => f.field).join(', ')}`, fields);
    for (const code of areaCodes) assertCanReach(user, code, 'a target');
    for (const t of places.values()) assertCanReach(user, t.areaCode, `terminal ${t.id}`);
    assertMayUseClass(user, input.priorityClass);
    return areaIndexOf(
      areaCodes,
      [...places.values()].map((t) => t.areaCode),
    );
  }

  private async clipExists(id: string): Promise<boolean> {
    try {
      await this.audio.get(id);
      return true;
    } catch (e) {
      if (e instanceof NotFoundError) return false;
      throw e;
    }
  }

  /**
   * A playlist of two or more clips plays as one library clip composed of them in order (AudioService.compose, a job
   * that joins and encodes them like any clip), so that a terminal stores one clip and loops it to the slot's end.
   * Composed again only when the list changes; a one-clip playlist plays its clip.
   */
  private async withComposed(
    input: ProgrammeInput,
    before: ProgrammeEntity | null,
    user: AuthUser,
  ): Promise<ProgrammeInput> {
    const compose = async (
      s: ProgrammeSource | null,
      was: ProgrammeSource | null | undefined,
    ): Promise<ProgrammeSource | null> => {
      if (s?.kind !== 'playlist') return s;
      const ids = s.clipIds ?? [];
      const plain = withoutComposed(s);
      if (ids.length < 2) return plain;
      const same = was?.kind === 'playlist' && was.clipIds?.join('|') === ids.join('|');
      if (same && was.composedClipId) return { ...plain, composedClipId: was.composedClipId };
      const started = await this.audio.compose(user, ids, `${input.name.trim()}（节目单）`.slice(0, 120));
      return { ...plain, composedClipId: started.clip.id };
    };
    return {
      ...input,
      source: (await compose(input.source, before?.source)) ?? input.source,
      fallback: await compose(input.fallback, before?.fallback),
    };
  }

  /** What a user gave (the composed clip is the server's, not part of the input an edit is compared with). */
  private inputOf(p: ProgrammeEntity): ProgrammeInput {
    return {
      name: p.name,
      source: withoutComposed(p.source),
      fallback: p.fallback && withoutComposed(p.fallback),
      minSignalQuality: p.minSignalQuality,
      volume: p.volume,
      priorityClass: p.priorityClass,
      targets: p.targets,
    };
  }
}

function withoutComposed(s: ProgrammeSource): ProgrammeSource {
  const { composedClipId: _composed, ...plain } = s;
  return plain;
}
