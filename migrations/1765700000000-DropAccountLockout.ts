import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The account lockout (`users.failed_logins`, `users.locked_until`) was replaced by the sign-in
 * throttle by (account, source address) and by source address (1765100000000); nothing reads or
 * writes these columns since. Down puts them back empty (no account locked).
 */
export class DropAccountLockout1765700000000 implements MigrationInterface {
  name = 'DropAccountLockout1765700000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE users DROP COLUMN failed_logins, DROP COLUMN locked_until`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE users ADD COLUMN failed_logins int NOT NULL DEFAULT 0, ADD COLUMN locked_until timestamptz`);
  }
}
