/** All SQL of accounts. */
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, Repository } from 'typeorm';
import { Tx, managerOf } from '../database/transactions';
import { UserEntity } from './user.entity';

@Injectable()
export class UsersRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  private repo(tx?: Tx): Repository<UserEntity> {
    return tx ? managerOf(tx).getRepository(UserEntity) : this.dataSource.getRepository(UserEntity);
  }

  findById(id: number, tx?: Tx): Promise<UserEntity | null> {
    return this.repo(tx).findOneBy({ id });
  }

  findByUsername(username: string, tx?: Tx): Promise<UserEntity | null> {
    return this.repo(tx).findOneBy({ username });
  }

  /** Every account by id (accounts are few; lists filter them by the reader's scope in memory). */
  all(): Promise<UserEntity[]> {
    return this.repo().find({ order: { id: 'ASC' } });
  }

  /** Enabled users holding the admin role (roles are a JSON list, so this filters in memory; accounts are few). */
  async enabledAdmins(tx?: Tx): Promise<UserEntity[]> {
    const users = await this.repo(tx).findBy({ disabled: false });
    return users.filter((u) => u.roles.includes('admin'));
  }

  save(tx: Tx, user: UserEntity): Promise<UserEntity> {
    return this.repo(tx).save(user);
  }
}
