// JWTs for the end-to-end tests, made with node's crypto (createSign, createHmac): an RS256 key
// pair written to a directory, valid tokens, and every kind of bad token ASP.NET Core's
// JwtBearer refuses (the token matrix of issue 16's acceptance).
import { createHmac, createSign, generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const b64url = (data) => Buffer.from(data).toString('base64url');
const json64 = (object) => b64url(JSON.stringify(object));
const now = () => Math.floor(Date.now() / 1000);

/** `header.payload.signature` with `alg` RS256 (privateKey) or HS256 (secret). */
export function signJwt(payload, { alg = 'RS256', privateKey, secret, header = {} } = {}) {
  const input = `${json64({ alg, typ: 'JWT', ...header })}.${json64(payload)}`;
  let signature = '';
  if (alg === 'RS256') signature = createSign('RSA-SHA256').update(input).sign(privateKey).toString('base64url');
  else if (alg === 'HS256') signature = createHmac('sha256', secret).update(input).digest('base64url');
  else if (alg !== 'none') throw new Error(`unsupported alg ${alg}`);
  return `${input}.${signature}`;
}

/**
 * An RS256 identity provider: its public key written to `dir`/jwt-public.pem (for
 * `serve --jwt-key`), a second key pair whose signatures must be refused, and token makers.
 */
export function identityProvider(dir, { issuer = 'https://id.example.test', audience = 'scanhub-e2e' } = {}) {
  const pair = () => generateKeyPairSync('rsa', { modulusLength: 2048 });
  const { privateKey, publicKey } = pair();
  const stranger = pair();
  const publicPem = publicKey.export({ type: 'spki', format: 'pem' });
  const keyFile = join(dir, 'jwt-public.pem');
  writeFileSync(keyFile, publicPem);
  const claims = (user, extra = {}) => ({
    iss: issuer, aud: audience, sub: user, name: user, iat: now(), exp: now() + 3600, ...extra,
  });
  return {
    issuer, audience, keyFile,
    /** A valid token for `user` (roles: ['admin'] for an admin); `extra` overrides claims. */
    token: (user, extra = {}) => signJwt(claims(user, extra), { privateKey }),
    /** Every token that must be refused, by name (issue 16's matrix). */
    badTokens: (user = 'mallory') => ({
      'malformed': 'not-a-jwt',
      'alg none': signJwt(claims(user), { alg: 'none' }),
      'wrong signature': signJwt(claims(user), { privateKey: stranger.privateKey }),
      'expired beyond the skew': signJwt(claims(user, { iat: now() - 7200, exp: now() - 600 }), { privateKey }),
      'future nbf': signJwt(claims(user, { nbf: now() + 600 }), { privateKey }),
      'wrong issuer': signJwt(claims(user, { iss: 'https://evil.example.test' }), { privateKey }),
      'wrong audience': signJwt(claims(user, { aud: 'someone-else' }), { privateKey }),
      'HS256 signed with the RS256 public key': signJwt(claims(user), { alg: 'HS256', secret: publicPem }),
    }),
  };
}
