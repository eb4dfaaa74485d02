/**
 * The part of oidc-provider 9.13.3's API this service uses (the package ships no types). Kept small:
 * configuration is passed as a plain object; the objects we read back are typed where we read them.
 */
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  export interface KoaContextLike {
    path: string;
    method: string;
    query: Record<string, string | string[] | undefined>;
    querystring: string;
    type: string;
    body: unknown;
    status: number;
    set(name: string, value: string): void;
    oidc?: { route?: string; client?: ClientLike };
  }

  export interface ClientLike {
    clientId: string;
    clientName?: string;
    redirectUris: string[];
    clientAuthMethod: string;
    grantTypeAllowed(type: string): boolean;
    metadata(): Record<string, unknown>;
    [key: string]: unknown;
  }

  export interface InteractionDetails {
    uid: string;
    prompt: { name: string; reasons: string[]; details: Record<string, unknown> };
    params: Record<string, unknown>;
    session?: { accountId: string; uid: string };
    grantId?: string;
    returnTo: string;
    lastSubmission?: Record<string, unknown>;
  }

  export class GrantModel {
    constructor(properties: { accountId: string; clientId: string });
    static find(id: string): Promise<GrantModel | undefined>;
    accountId: string;
    clientId: string;
    addOIDCScope(scope: string): void;
    addResourceScope(resource: string, scope: string): void;
    save(): Promise<string>;
  }

  export interface ProviderOptions {
    [key: string]: unknown;
  }

  export class Provider {
    constructor(issuer: string, configuration: ProviderOptions);
    issuer: string;
    proxy: boolean;
    Grant: typeof GrantModel;
    Client: { find(id: string): Promise<ClientLike | undefined> };
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
    use(middleware: (ctx: KoaContextLike, next: () => Promise<void>) => Promise<void>): void;
    on(event: string, listener: (...args: unknown[]) => void): void;
    interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<InteractionDetails>;
    interactionResult(
      req: IncomingMessage,
      res: ServerResponse,
      result: Record<string, unknown>,
      options?: { mergeWithLastSubmission?: boolean },
    ): Promise<string>;
  }

  export class OIDCProviderError extends Error {
    error: string;
    error_description?: string;
    status: number;
  }

  export const errors: {
    InvalidRedirectUri: new (description?: string) => OIDCProviderError;
    InvalidClientMetadata: new (description?: string) => OIDCProviderError;
    InvalidTarget: new (description?: string) => OIDCProviderError;
    InvalidClient: new (description?: string) => OIDCProviderError;
    [name: string]: new (description?: string) => OIDCProviderError;
  };

  export default Provider;
}
