// An unmodified openid-client (v6; an ES module, hence this script run with `node` from the CommonJS
// tests) asks the service's token endpoint for tokens with the client credentials grant, the way an
// integrator's system would, and verifies the access token with jose against the published JWKS.
// Prints one JSON object: the outcome of each attempt.
//
//   node openid-client-credentials.mjs <base URL> <issuer> <audience> <client id> <client secret> <granted scope>
import * as client from 'openid-client';
import { createRemoteJWKSet, jwtVerify } from 'jose';

const [base, issuer, audience, clientId, clientSecret, scope] = process.argv.slice(2);
const server = {
  issuer,
  token_endpoint: new URL('/api/v1/auth/token', base).href,
  jwks_uri: new URL('/.well-known/jwks.json', base).href,
};
const jwks = createRemoteJWKSet(new URL(server.jwks_uri));

function configuration(secret, auth) {
  // client_secret_post by default; HTTP Basic (client_secret_basic) when asked.
  const config =
    auth === 'basic'
      ? new client.Configuration(server, clientId, undefined, client.ClientSecretBasic(secret))
      : new client.Configuration(server, clientId, secret);
  // The test service listens on plain HTTP at 127.0.0.1; openid-client refuses http:// unless told.
  client.allowInsecureRequests(config);
  return config;
}

/** What openid-client threw, as a plain object: its class and code, the OAuth error it surfaced, and the answer behind it. */
async function describeError(err) {
  const response = err.response instanceof Response ? err.response : undefined;
  let body;
  if (response && !response.bodyUsed) {
    try {
      body = await response.clone().json();
    } catch {
      body = undefined;
    }
  }
  return {
    class: err.constructor?.name,
    code: err.code,
    message: err.message,
    error: err.error,
    error_description: err.error_description,
    status: err.status ?? response?.status,
    contentType: response?.headers.get('content-type') ?? null,
    challenges: Array.isArray(err.cause)
      ? err.cause.map((c) => ({ scheme: c.scheme, parameters: c.parameters }))
      : undefined,
    body,
  };
}

async function grant(config, parameters) {
  try {
    const tokens = await client.clientCredentialsGrant(config, parameters);
    const { payload, protectedHeader } = await jwtVerify(tokens.access_token, jwks, { issuer, audience });
    return {
      ok: true,
      token_type: tokens.token_type,
      expires_in: tokens.expires_in,
      scope: tokens.scope,
      expiresIn: tokens.expiresIn(),
      claims: payload,
      header: protectedHeader,
    };
  } catch (err) {
    return { ok: false, ...(await describeError(err)) };
  }
}

const result = {
  post: await grant(configuration(clientSecret)),
  basic: await grant(configuration(clientSecret, 'basic'), { scope }),
  invalidScope: await grant(configuration(clientSecret), { scope: 'records:write' }),
  invalidClient: await grant(configuration(`${clientSecret}-wrong`)),
  invalidClientBasic: await grant(configuration(`${clientSecret}-wrong`, 'basic')),
};
process.stdout.write(JSON.stringify(result));
