import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { createCipheriv, createDecipheriv, createPrivateKey, createPublicKey, KeyObject, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { calculateJwkThumbprint, exportJWK, exportPKCS8, generateKeyPair, JWK } from 'jose';
import { APP_CONFIG } from '../../config/configuration';
import type { AppConfig } from '../../config/configuration';

export interface SigningKey {
  kid: string;
  alg: 'ES256' | 'EdDSA';
  privateKey: KeyObject;
  publicKey: KeyObject;
  publicPem: string;
  jwk: JWK;
}

/**
 * The service's key material: the ES256 key that signs access tokens and disclosure receipts, and
 * the symmetric data key that encrypts TOTP secrets at rest. Generated into `<DATA_DIR>/keys`
 * (mode 0600) on first start unless given through the environment.
 */
@Injectable()
export class KeysService implements OnModuleInit {
  private readonly logger = new Logger(KeysService.name);
  private signing: SigningKey;
  private checkpointKey: SigningKey;
  private readonly byKid = new Map<string, SigningKey>();
  private dataKey: Buffer;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  async onModuleInit(): Promise<void> {
    const dir = join(this.config.dataDir, 'keys');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    let pem = this.config.jwt.signingKeyPem;
    if (!pem) {
      const file = join(dir, 'signing-es256.pem');
      if (!existsSync(file)) {
        const { privateKey } = await generateKeyPair('ES256', { extractable: true });
        writeFileSync(file, await exportPKCS8(privateKey), { mode: 0o600 });
        this.logger.log('generated a new ES256 signing key');
      }
      pem = readFileSync(file, 'utf8');
    }
    this.signing = await this.load(pem, 'ES256');
    this.byKid.set(this.signing.kid, this.signing);

    let edPem = this.config.auditSigningKeyPem;
    if (!edPem) {
      const file = join(dir, 'checkpoint-ed25519.pem');
      if (!existsSync(file)) {
        const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
        writeFileSync(file, await exportPKCS8(privateKey), { mode: 0o600 });
        this.logger.log('generated a new Ed25519 checkpoint key');
      }
      edPem = readFileSync(file, 'utf8');
    }
    this.checkpointKey = await this.load(edPem, 'EdDSA');
    this.byKid.set(this.checkpointKey.kid, this.checkpointKey);

    if (this.config.dataEncryptionKey) this.dataKey = Buffer.from(this.config.dataEncryptionKey, 'base64');
    else {
      const dataKeyFile = join(dir, 'data.key');
      if (!existsSync(dataKeyFile)) writeFileSync(dataKeyFile, randomBytes(32).toString('base64'), { mode: 0o600 });
      this.dataKey = Buffer.from(readFileSync(dataKeyFile, 'utf8').trim(), 'base64');
    }
  }

  private async load(pem: string, alg: 'ES256' | 'EdDSA'): Promise<SigningKey> {
    const privateKey = createPrivateKey(pem);
    const publicKey = createPublicKey(privateKey);
    const jwk = await exportJWK(publicKey);
    const kid = await calculateJwkThumbprint(jwk, 'sha256');
    return {
      kid,
      alg,
      privateKey,
      publicKey,
      publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      jwk: { ...jwk, kid, alg, use: 'sig' },
    };
  }

  get current(): SigningKey {
    return this.signing;
  }

  /** The Ed25519 key that signs audit checkpoints. */
  get checkpoint(): SigningKey {
    return this.checkpointKey;
  }

  /** Looks a token verification key up by `kid` (ES256 only); anything unknown (paths, SQL, junk) is absent. */
  find(kid: unknown): SigningKey | undefined {
    const key = typeof kid === 'string' ? this.byKid.get(kid) : undefined;
    return key?.alg === 'ES256' ? key : undefined;
  }

  jwks(): { keys: JWK[] } {
    return { keys: [...this.byKid.values()].map((k) => k.jwk) };
  }

  encrypt(plain: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.dataKey, iv);
    const enc = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), enc.toString('base64url')].join('.');
  }

  decrypt(sealed: string): string {
    const [v, iv, tag, enc] = sealed.split('.');
    if (v !== 'v1' || !iv || !tag || !enc) throw new Error('unreadable sealed value');
    const decipher = createDecipheriv('aes-256-gcm', this.dataKey, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(enc, 'base64url')), decipher.final()]).toString('utf8');
  }
}
