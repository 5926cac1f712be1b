import { MigrationInterface, QueryRunner } from 'typeorm';

export class ConsoleSessions1764500000000 implements MigrationInterface {
  name = 'ConsoleSessions1764500000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE console_sessions (
        id_hash bytea PRIMARY KEY,
        user_id uuid NOT NULL REFERENCES users(id),
        csrf_token text NOT NULL,
        mfa_pending boolean NOT NULL DEFAULT false,
        token_version int NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_seen_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX console_sessions_user_idx ON console_sessions (user_id)`);
    await q.query(`CREATE INDEX console_sessions_expiry_idx ON console_sessions (expires_at)`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE console_sessions`);
  }
}
