import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { flatten } from '../common/validation';
import { InvalidTokenRequestError, UnsupportedGrantTypeError } from './auth.errors';
import { TokenRequestDto } from './dto/token-request.dto';

const KNOWN = ['grant_type', 'client_id', 'client_secret', 'scope'] as const;

/** `Authorization: Basic` credentials (RFC 6749 §2.3.1: each part form-urlencoded, then base64). */
function basicCredentials(header: string | undefined): { client_id: string; client_secret: string } | undefined {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!m) return undefined;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw new InvalidTokenRequestError('The Basic credentials must be client_id:client_secret.');
  try {
    const unescape = (s: string) => decodeURIComponent(s.replace(/\+/g, ' '));
    return { client_id: unescape(decoded.slice(0, colon)), client_secret: unescape(decoded.slice(colon + 1)) };
  } catch {
    throw new InvalidTokenRequestError('The Basic credentials are not form-urlencoded.');
  }
}

/**
 * Reads a token request the way RFC 6749 asks: unknown parameters are ignored (§3.2), a parameter
 * given twice is refused (§3.2), the client authenticates by the body or by HTTP Basic but not both
 * (§2.3), and every error names its OAuth `error` code (§5.2).
 */
export function parseTokenRequest(body: unknown, authorization: string | undefined): TokenRequestDto {
  const source = body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
  const fields: Record<string, unknown> = {};
  for (const k of KNOWN) if (source[k] !== undefined) fields[k] = source[k];
  if (authorization !== undefined && /^Basic\s/i.test(authorization)) {
    const basic = basicCredentials(authorization);
    if (!basic) throw new InvalidTokenRequestError('The Basic credentials are malformed.');
    if (fields.client_secret !== undefined) throw new InvalidTokenRequestError('Authenticate the client in the body or with HTTP Basic, not both.');
    if (fields.client_id !== undefined && fields.client_id !== basic.client_id) throw new InvalidTokenRequestError('client_id differs from the Basic credentials.');
    Object.assign(fields, basic);
  }
  if (fields.grant_type === undefined) throw new InvalidTokenRequestError('grant_type is missing.', [{ field: 'grant_type', message: 'is required' }]);
  if (typeof fields.grant_type === 'string' && fields.grant_type !== 'client_credentials') throw new UnsupportedGrantTypeError();
  const dto = plainToInstance(TokenRequestDto, fields);
  const errors = validateSync(dto, { whitelist: true, forbidUnknownValues: true, validationError: { target: false, value: false } });
  if (errors.length) throw new InvalidTokenRequestError('The token request is missing a parameter or has a malformed or repeated one.', flatten(errors));
  return dto;
}
