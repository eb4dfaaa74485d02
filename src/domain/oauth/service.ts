import { randomBytes } from 'node:crypto';
import type { OAuthRepository } from '../../db/repositories/oauth.js';
import { errors } from '../../errors/catalog.js';
import { createOAuthAccessTokenVerifier } from './access-tokens.js';
import { oauthResources, redirectUriProblem, type OAuthResources } from './resources.js';

/** One authorization a person gave a client (GET /v1/auth/grants). */
export interface GrantView {
  id: string;
  client_id: string;
  client_name: string | null;
  /** Per resource (PUBLIC_URL/mcp, PUBLIC_URL/v1), the scopes granted there. */
  resources: { resource: string; scopes: string[] }[];
  created_at: string;
  expires_at: string | null;
}

export interface CreateClientInput {
  name: string;
  redirectUris: string[];
  /** With a secret (GPT Actions' OAuth option); otherwise a public client using PKCE alone. */
  confidential: boolean;
  /** The resource its tokens are for when it does not say (`rest` for GPT Actions). */
  resource: keyof OAuthResources;
}

export interface CreatedClient {
  client_id: string;
  /** Shown once. */
  client_secret: string | null;
  client_name: string;
  redirect_uris: string[];
  token_endpoint_auth_method: string;
  /** `rest` (PUBLIC_URL/v1) or `mcp` (PUBLIC_URL/mcp). */
  default_resource: string;
  /** The resource URL that is today. */
  resource: string;
}

const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

export function createOAuthService({
  repository,
  publicUrl,
  now = () => new Date(),
}: {
  repository: OAuthRepository;
  publicUrl: string;
  now?: () => Date;
}) {
  const resources = oauthResources(publicUrl);
  return {
    resources,
    issuer: publicUrl,
    accessTokens: createOAuthAccessTokenVerifier({ repository, issuer: publicUrl, now }),

    async listGrants(userId: string): Promise<GrantView[]> {
      const rows = await repository.listGrantsForUser(userId, now());
      const clientIds = [...new Set(rows.map((row) => text(row.payload.clientId) ?? ''))];
      const clients = await repository.findClients(clientIds.filter(Boolean));
      return rows.map((row) => {
        const clientId = text(row.payload.clientId) ?? '';
        const granted = (row.payload.resources ?? {}) as Record<string, unknown>;
        return {
          id: row.id,
          client_id: clientId,
          client_name: text(clients.get(clientId)?.client_name) ?? null,
          resources: Object.entries(granted).map(([resource, scope]) => ({
            resource,
            scopes: (text(scope) ?? '').split(' ').filter(Boolean),
          })),
          created_at: row.createdAt.toISOString(),
          expires_at: row.expiresAt?.toISOString() ?? null,
        };
      });
    },

    /** Revokes the grant and every code and refresh token under it; its access tokens stop at once. */
    async revokeGrant(userId: string, grantId: string): Promise<void> {
      if (!(await repository.deleteGrantForUser(userId, grantId))) throw errors.notFound('grant', grantId);
    },

    /** A client registered by the operator (the CLI), e.g. a confidential one for GPT Actions. */
    async createClient(input: CreateClientInput): Promise<CreatedClient> {
      const problems = input.redirectUris.flatMap((uri, index) => {
        const problem = redirectUriProblem(uri);
        return problem ? [{ field: `redirectUris.${index}`, message: problem }] : [];
      });
      if (input.redirectUris.length === 0)
        problems.push({ field: 'redirectUris', message: 'expected one or more' });
      if (problems.length > 0) throw errors.validationFailed(problems);
      const clientId = `fa_client_${randomBytes(16).toString('base64url')}`;
      const clientSecret = input.confidential ? randomBytes(32).toString('base64url') : null;
      const metadata = {
        client_id: clientId,
        ...(clientSecret ? { client_secret: clientSecret, client_secret_expires_at: 0 } : {}),
        client_id_issued_at: Math.floor(now().getTime() / 1000),
        client_name: input.name,
        redirect_uris: input.redirectUris,
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: clientSecret ? 'client_secret_post' : 'none',
        default_resource: input.resource,
      };
      await repository.upsert({
        model: 'Client',
        id: clientId,
        payload: metadata,
        expiresAt: null,
        grantId: null,
        userCode: null,
        uid: null,
        userId: null,
      });
      return {
        client_id: clientId,
        client_secret: clientSecret,
        client_name: input.name,
        redirect_uris: input.redirectUris,
        token_endpoint_auth_method: metadata.token_endpoint_auth_method,
        default_resource: metadata.default_resource,
        resource: resources[input.resource],
      };
    },
  };
}

export type OAuthService = ReturnType<typeof createOAuthService>;
