import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { Client } from 'pg';
import request from 'supertest';
import { authenticator } from 'otplib';
import { AppConfig, loadConfig } from '../../config/configuration';
import { createApp } from '../../src/app.factory';
import { readKeyringDir } from '../../src/crypto/keyring';
import type { HttpDrain } from '../../src/common/shutdown';

export const ADMIN = { username: 'admin', password: 'correct-horse-battery-staple' };
export const API = '/api/v1';

export interface TestApp {
  app: INestApplication;
  http: ReturnType<typeof request>;
  config: AppConfig;
  db: Client;
  /** Every JSON log line written so far. */
  logs: string[];
  close(): Promise<void>;
}

/**
 * One application on its own database, copied from the migrated template, with its own DATA_DIR.
 * `close()` stops the app and drops the database, so files run in parallel and leave nothing behind.
 */
export async function createTestApp(env: Record<string, string> = {}, opts: { shareWith?: TestApp; drain?: HttpDrain } = {}): Promise<TestApp> {
  const adminUrl = process.env.OIE_TEST_ADMIN_URL;
  const template = process.env.OIE_TEST_TEMPLATE_DB;
  if (!adminUrl || !template) throw new Error('the e2e global setup did not run');
  const shared = opts.shareWith;
  const name = shared ? new URL(shared.config.databaseUrl!).pathname.slice(1) : `oie_t_${randomBytes(6).toString('hex')}`;
  if (!shared) {
    const admin = new Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`);
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'oie-test-data-'));
  // A second instance on the same database shares the first one's keys, as a deployment would.
  const sharedKeys = shared
    ? {
        JWT_SIGNING_KEY: shared.config.jwt.signingKeyPem ?? readFileSync(join(shared.config.dataDir, 'keys', 'signing-es256.pem'), 'utf8'),
        AUDIT_SIGNING_KEY: shared.config.auditSigningKeyPem ?? readFileSync(join(shared.config.dataDir, 'keys', 'checkpoint-ed25519.pem'), 'utf8'),
        ...recordKeysEnv(shared),
      }
    : {};

  const config = loadConfig({
    DATABASE_URL: url.toString(),
    DATA_DIR: dataDir,
    LOG_LEVEL: 'info',
    BOOTSTRAP_ADMIN_USERNAME: ADMIN.username,
    BOOTSTRAP_ADMIN_PASSWORD: ADMIN.password,
    SCHEDULER_ENABLED: 'false',
    WEBHOOK_DELIVERY_ENABLED: 'false',
    RATE_LIMIT_AUTH_PER_MINUTE: '10000',
    RATE_LIMIT_REQUESTS_PER_MINUTE: '10000',
    ...sharedKeys,
    ...env,
  });
  const logs: string[] = [];
  const stream = new PassThrough();
  stream.on('data', (chunk: Buffer) => logs.push(...chunk.toString('utf8').split('\n').filter(Boolean)));
  const app = await createApp(config, { logStream: stream, drain: opts.drain });
  // Listening once, so every call reaches the same address (problem types carry it) and fetch-based clients can call it too.
  await app.listen(0, '127.0.0.1');
  const db = new Client({ connectionString: url.toString() });
  await db.connect();
  return {
    app,
    http: request(app.getHttpServer()),
    config,
    db,
    logs,
    async close() {
      await db.end();
      await app.close();
      if (!shared) {
        const a = new Client({ connectionString: adminUrl });
        await a.connect();
        await a.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
        await a.end();
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The release records' keyring and blind-index key of an app, as environment for a second instance. */
export function recordKeysEnv(t: TestApp): Record<string, string> {
  const { keys, active } = t.config.dataKeyring ?? readKeyringDir(join(t.config.dataDir, 'keys', 'kek'));
  return {
    DATA_KEYRING: [...keys].map(([id, key]) => `${id}:${key.toString('base64')}`).join(','),
    DATA_KEYRING_ACTIVE: active,
    BLIND_INDEX_KEY: (t.config.blindIndexKey ?? Buffer.from(readFileSync(join(t.config.dataDir, 'keys', 'blind-index.key'), 'utf8').trim(), 'base64')).toString('base64'),
  };
}

/** A TOTP code for the time step after the current one (accepted within the window, never reused). */
export function totpFor(secret: string, offsetSteps = 0): string {
  return authenticator.clone({ epoch: Date.now() + offsetSteps * 30_000 }).generate(secret);
}

export function secretFromUri(uri: string): string {
  const secret = new URL(uri).searchParams.get('secret');
  if (!secret) throw new Error('no secret in the otpauth URI');
  return secret;
}

/** Signs a staff user in, enrolling TOTP on the way when needed; answers the token and the TOTP secret. */
export async function signIn(t: TestApp, username: string, password: string, totpSecret?: string): Promise<{ token: string; secret: string }> {
  if (totpSecret) {
    const res = await t.http.post(`${API}/auth/login`).send({ username, password, totp: totpFor(totpSecret, 1) });
    if (res.status !== 200) throw new Error(`login failed: ${res.status} ${JSON.stringify(res.body)}`);
    return { token: res.body.access_token, secret: totpSecret };
  }
  const login = await t.http.post(`${API}/auth/login`).send({ username, password });
  if (login.status !== 200 || !login.body.mfaEnrollmentRequired) throw new Error(`login failed: ${login.status} ${JSON.stringify(login.body)}`);
  const pending = login.body.access_token as string;
  const enroll = await t.http.post(`${API}/auth/mfa/enroll`).set('Authorization', `Bearer ${pending}`);
  const secret = secretFromUri(enroll.body.otpauthUri);
  const verify = await t.http.post(`${API}/auth/mfa/verify`).set('Authorization', `Bearer ${pending}`).send({ code: totpFor(secret) });
  if (verify.status !== 200) throw new Error(`mfa verify failed: ${verify.status} ${JSON.stringify(verify.body)}`);
  return { token: verify.body.access_token, secret };
}

export const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
