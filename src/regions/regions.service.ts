/**
 * The region tree: county → town → village → natural-village group. Codes nest (a child's code extends its parent's,
 * at the next level); renames are free; a move re-keys the node and its descendants under a new parent, refused while
 * gateways or terminals hang in the subtree (their resource codes embed the area code); deletion is refused while
 * anything hangs on the node.
 */
import { Injectable } from '@nestjs/common';
import {
  AreaLevel,
  areaLevel,
  areaLevelOrNull,
  areaPrefix,
  childLevel,
  parentAreaCode,
} from '../../firmware-protocols/codes';
import { AuditService } from '../audit/audit.service';
import type { AuthUser } from '../auth/auth-user';
import { assertCanReach, visibleSubtrees } from '../auth/scope';
import { ConflictError, FieldMessage, NotFoundError } from '../common/errors';
import { Transactions, Tx } from '../database/transactions';
import { codeCheck, throwIfAny } from '../terminals/registry-checks';
import { AreaEntity } from './area.entity';
import { RegionsRepository } from './regions.repository';
import { Clock } from '../common/clock';

export interface RegionInput {
  code: string;
  name: string;
}

export interface RegionView {
  code: string;
  name: string;
  level: AreaLevel;
  parentCode: string | null;
}

export interface RegionNode extends RegionView {
  /** Terminals registered in this node's subtree. */
  terminalCount: number;
  children: RegionNode[];
}

export function toRegionView(a: AreaEntity): RegionView {
  return { code: a.code, name: a.name, level: a.level, parentCode: a.parentCode };
}

function validName(out: FieldMessage[], name: string): void {
  if (name.trim() === '' || name.length > 64)
    out.push({ field: 'name', message: 'name must be a non-empty text of at most 64 characters' });
}

@Injectable()
export class RegionsService {
  constructor(
    private readonly repo: RegionsRepository,
    private readonly transactions: Transactions,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  /**
   * Checks that a new region's code is well formed and nests under an existing parent of the level above
   * (a county may be a root). `pending` holds codes about to be created alongside (imports).
   */
  async checkNew(
    input: RegionInput,
    tx: Tx,
    pending: Map<string, AreaLevel> = new Map(),
  ): Promise<{ fields: FieldMessage[]; level: AreaLevel | null; parentCode: string | null }> {
    const fields: FieldMessage[] = [];
    validName(fields, input.name);
    const level = codeCheck(fields, () => areaLevel(input.code, 'code'));
    if (level === null) return { fields, level, parentCode: null };
    if (level === 'province' || level === 'prefecture') {
      fields.push({ field: 'code', message: `the registry starts at a county; ${input.code} is a ${level}` });
      return { fields, level: null, parentCode: null };
    }
    const parentCode = level === 'county' ? null : parentAreaCode(input.code);
    if (parentCode !== null) {
      const parentLevel = pending.get(parentCode) ?? (await this.repo.findByCode(parentCode, tx))?.level ?? null;
      if (parentLevel === null)
        fields.push({ field: 'code', message: `the parent area ${parentCode} of ${input.code} is not registered` });
      else if (childLevel(parentLevel) !== level)
        fields.push({ field: 'code', message: `a ${parentLevel} cannot hold a ${level}` });
    }
    if (pending.has(input.code) || (await this.repo.findByCode(input.code, tx)))
      fields.push({ field: 'code', message: `area ${input.code} is already registered` });
    return { fields, level, parentCode };
  }

  async create(input: RegionInput, actor: AuthUser): Promise<RegionView> {
    const level = areaLevelOrNull(input.code);
    if (level) assertCanReach(actor, level === 'county' ? input.code : (parentAreaCode(input.code) ?? input.code));
    return this.transactions.run(async (tx) => {
      const { fields, level, parentCode } = await this.checkNew(input, tx);
      throwIfAny(fields);
      const now = this.clock.date();
      const saved = await this.repo.save(
        tx,
        Object.assign(new AreaEntity(), {
          code: input.code,
          name: input.name.trim(),
          level: level as AreaLevel,
          parentCode,
          createdAt: now,
          updatedAt: now,
        }),
      );
      await this.audit.record(
        { actor, action: 'region.create', entityType: 'region', entityId: saved.code, after: toRegionView(saved) },
        tx,
      );
      return toRegionView(saved);
    });
  }

  /** Rename and/or move, one after the other. */
  async update(code: string, change: { name?: string; code?: string }, actor: AuthUser): Promise<RegionView> {
    let view: RegionView | null = null;
    if (change.name !== undefined) view = await this.rename(code, change.name, actor);
    if (change.code !== undefined && change.code !== code) view = await this.move(code, change.code, actor);
    return view ?? toRegionView(await this.transactions.run((tx) => this.load(code, tx)));
  }

  async rename(code: string, name: string, actor: AuthUser): Promise<RegionView> {
    assertCanReach(actor, code, 'region');
    return this.transactions.run(async (tx) => {
      const area = await this.load(code, tx);
      const fields: FieldMessage[] = [];
      validName(fields, name);
      throwIfAny(fields);
      const before = toRegionView(area);
      area.name = name.trim();
      area.updatedAt = this.clock.date();
      await this.repo.save(tx, area);
      await this.audit.record(
        { actor, action: 'region.rename', entityType: 'region', entityId: code, before, after: toRegionView(area) },
        tx,
      );
      return toRegionView(area);
    });
  }

  /** Moves a node (and its descendants) to `newCode`, which must nest under an existing parent of the right level. */
  async move(code: string, newCode: string, actor: AuthUser): Promise<RegionView> {
    assertCanReach(actor, code, 'region');
    return this.transactions.run(async (tx) => {
      const area = await this.load(code, tx);
      const { fields, level, parentCode } = await this.checkNew({ code: newCode, name: area.name }, tx);
      if (level !== null && level !== area.level)
        fields.push({
          field: 'code',
          message: `a ${area.level} must keep a ${area.level} code; ${newCode} is a ${level}`,
        });
      throwIfAny(fields);
      if (parentCode) assertCanReach(actor, parentCode, 'new parent');
      const prefix = areaPrefix(code);
      const hanging = await this.repo.hanging(code, prefix, tx);
      if (hanging.gateways > 0 || hanging.terminals > 0) {
        throw new ConflictError(
          'region_in_use',
          `region ${code} cannot move: ${hanging.gateways} gateway(s) and ${hanging.terminals} terminal(s) in its subtree carry its area code in their resource codes; move or remove them first`,
          { code, ...hanging },
        );
      }
      const before = toRegionView(area);
      await this.repo.rekeySubtree(tx, prefix, areaPrefix(newCode), this.clock.date());
      const moved = await this.load(newCode, tx);
      moved.parentCode = parentCode;
      await this.repo.save(tx, moved);
      await this.audit.record(
        { actor, action: 'region.move', entityType: 'region', entityId: newCode, before, after: toRegionView(moved) },
        tx,
      );
      return toRegionView(moved);
    });
  }

  async remove(code: string, actor: AuthUser): Promise<void> {
    assertCanReach(actor, code, 'region');
    await this.transactions.run(async (tx) => {
      const area = await this.load(code, tx);
      const hanging = await this.repo.hanging(code, areaPrefix(code), tx);
      if (hanging.children + hanging.gateways + hanging.terminals > 0) {
        throw new ConflictError(
          'region_in_use',
          `region ${code} (${area.name}) cannot be deleted: ${hanging.children} child region(s), ${hanging.gateways} gateway(s) and ${hanging.terminals} terminal(s) hang on it`,
          { code, ...hanging },
        );
      }
      await this.repo.remove(tx, area);
      await this.audit.record(
        { actor, action: 'region.delete', entityType: 'region', entityId: code, before: toRegionView(area) },
        tx,
      );
    });
  }

  /** The tree (or the subtree at `root`) visible to the user, with terminal counts per subtree. */
  async tree(user: AuthUser, root?: string): Promise<RegionNode[]> {
    if (root && !areaLevelOrNull(root))
      throwIfAny([{ field: 'root', message: `root must be an area code; got "${root}"` }]);
    const visible = visibleSubtrees(user, root);
    const prefixes = visible === null ? null : visible.map((c) => areaPrefix(c));
    const [areas, counts] = await Promise.all([this.repo.subtree(prefixes), this.repo.terminalCounts(prefixes)]);
    const nodes = new Map<string, RegionNode>(
      areas.map((a) => [a.code, { ...toRegionView(a), terminalCount: counts.get(a.code) ?? 0, children: [] }]),
    );
    const roots: RegionNode[] = [];
    for (const node of nodes.values()) {
      const parent = node.parentCode ? nodes.get(node.parentCode) : undefined;
      if (parent) parent.children.push(node);
      else roots.push(node);
    }
    const total = (n: RegionNode): number => (n.terminalCount += n.children.reduce((s, c) => s + total(c), 0));
    roots.forEach(total);
    return roots;
  }

  async listFlat(user: AuthUser, root?: string): Promise<RegionView[]> {
    const visible = visibleSubtrees(user, root);
    const areas = await this.repo.subtree(visible === null ? null : visible.map((c) => areaPrefix(c)));
    return areas.map(toRegionView);
  }

  private async load(code: string, tx: Tx): Promise<AreaEntity> {
    const area = await this.repo.findByCode(code, tx);
    if (!area) throw new NotFoundError('region', code);
    return area;
  }
}
