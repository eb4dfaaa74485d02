import { EmulatorClock, type WallClock } from '../core/clock.js';
import { IdSource, newToken } from '../core/ids.js';
import { InstitutionDirectory, SANDBOX_INSTITUTIONS } from '../catalog/institutions.js';
import type { InstitutionEntry } from '../catalog/institutions.js';
import { checkSandboxLogin } from '../catalog/sandbox-users.js';
import { generateItem } from '../generator/generate-item.js';
import { PlaidApiError, plaidErrors } from '../http/plaid-error.js';
import type { WebhookDispatch, WebhookPayload } from '../webhooks/payloads.js';
import type { EmulatedItem } from './item.js';
import { Market } from './market.js';

const PUBLIC_TOKEN_TTL_MS = 30 * 60_000;
export const LINK_TOKEN_TTL_MS = 4 * 3600_000;
export const UPDATE_LINK_TOKEN_TTL_MS = 30 * 60_000;

export interface LinkTokenRecord {
  readonly token: string;
  readonly expiresAt: number;
  /** `products`: the institution must support every one. */
  readonly products: string[];
  /** `required_if_supported_products`: required where the institution supports them, else left out. */
  readonly requiredIfSupportedProducts: string[];
  /** `optional_products`: added where the institution (and the item's accounts) support them. */
  readonly optionalProducts: string[];
  readonly webhook: string | null;
  readonly daysRequested: number;
  /** Update mode: the item this token repairs. */
  readonly itemId: string | null;
  readonly clientName: string;
}

interface PublicTokenRecord {
  readonly itemId: string;
  readonly expiresAt: number;
  exchanged: boolean;
}

export interface LinkRequest {
  readonly institutionId: string;
  readonly username: string;
  readonly password: string;
  /** Required: the institution must support every one (`PRODUCTS_NOT_SUPPORTED` otherwise). */
  readonly products: string[];
  /** Required where the institution supports them, left out where it does not. */
  readonly requiredIfSupportedProducts?: readonly string[];
  /** Added where the institution and the item's accounts support them; never a reason to fail. */
  readonly optionalProducts?: readonly string[];
  readonly webhook: string | null;
  readonly daysRequested: number;
}

/**
 * A link request once the institution has been checked: `products` are the item's products (required,
 * plus required-if-supported ones the institution supports), `optionalProducts` the optional ones the
 * institution supports, still subject to the item having accounts for them.
 */
export interface ResolvedLinkRequest extends Omit<
  LinkRequest,
  'requiredIfSupportedProducts' | 'optionalProducts'
> {
  readonly optionalProducts: readonly string[];
}

/** Builds a live item from a fixture user's login, or returns undefined when it is not one. */
export interface FixtureLinker {
  link(request: ResolvedLinkRequest, itemIdFor: () => string): EmulatedItem | undefined;
}

/**
 * The products a link gets at an institution, as Plaid resolves them: every required product must be
 * supported (`PRODUCTS_NOT_SUPPORTED` otherwise); required-if-supported and optional products are kept
 * only where the institution supports them. Duplicates across the lists count once, in the strongest one.
 */
export function resolveLinkProducts(
  institution: InstitutionEntry,
  request: Pick<LinkRequest, 'products' | 'requiredIfSupportedProducts' | 'optionalProducts'>,
): { products: string[]; optionalProducts: string[] } {
  const supported = new Set<string>(institution.products);
  for (const product of request.products) {
    if (!supported.has(product)) throw plaidErrors.productsNotSupported();
  }
  const products = new Set(request.products);
  for (const product of request.requiredIfSupportedProducts ?? []) {
    if (supported.has(product)) products.add(product);
  }
  const optionalProducts = new Set<string>();
  for (const product of request.optionalProducts ?? []) {
    if (supported.has(product) && !products.has(product)) optionalProducts.add(product);
  }
  return { products: [...products], optionalProducts: [...optionalProducts] };
}

export interface StoreOptions {
  readonly seed: number;
  readonly now: Date;
  readonly wall: WallClock;
  readonly notReadyDelayMs: number;
  readonly institutions?: readonly InstitutionEntry[];
}

/**
 * The emulator's in-memory world: the clock, the market, institutions, items and every token.
 * It knows nothing of HTTP; handlers call it and it throws `PlaidApiError`s.
 */
export class EmulatorStore {
  readonly seed: number;
  readonly clock: EmulatorClock;
  readonly wall: WallClock;
  readonly market: Market;
  readonly institutions: InstitutionDirectory;
  readonly items = new Map<string, EmulatedItem>();
  readonly linkTokens = new Map<string, LinkTokenRecord>();
  readonly notReadyDelayMs: number;
  fixtureLinker: FixtureLinker | null = null;
  /** Set by the app: where item webhooks go. */
  dispatch: WebhookDispatch = () => undefined;
  private readonly accessTokens = new Map<string, string>();
  private readonly publicTokens = new Map<string, PublicTokenRecord>();
  private readonly itemIds: IdSource;

  constructor(options: StoreOptions) {
    this.seed = options.seed;
    this.clock = new EmulatorClock(options.now);
    this.wall = options.wall;
    this.market = new Market(options.seed);
    this.institutions = new InstitutionDirectory(options.institutions ?? SANDBOX_INSTITUTIONS);
    this.notReadyDelayMs = options.notReadyDelayMs;
    this.itemIds = new IdSource('items', options.seed);
  }

  institution(id: string): InstitutionEntry {
    const institution = this.institutions.get(id);
    if (!institution) throw plaidErrors.invalidInstitution();
    return institution;
  }

  /**
   * Links an item: institution health, its products (`resolveLinkProducts`), then fixture or Sandbox
   * credentials.
   */
  link(request: LinkRequest): EmulatedItem {
    const institution = this.institution(request.institutionId);
    if (institution.health === 'down') throw new PlaidApiError('INSTITUTION_DOWN');
    if (institution.health === 'unsupported') throw new PlaidApiError('INSTITUTION_NO_LONGER_SUPPORTED');
    const { products, optionalProducts } = resolveLinkProducts(institution, request);
    const resolved: ResolvedLinkRequest = {
      institutionId: request.institutionId,
      username: request.username,
      password: request.password,
      products,
      optionalProducts,
      webhook: request.webhook,
      daysRequested: request.daysRequested,
    };
    const nextId = () => this.itemIds.next();
    const fromFixture = this.fixtureLinker?.link(resolved, nextId);
    if (fromFixture) {
      if (!this.items.has(fromFixture.id)) {
        fromFixture.readyAt = this.wall() + this.notReadyDelayMs;
        fromFixture.lastTransactionsUpdate = this.clock.now().toISOString();
        this.items.set(fromFixture.id, fromFixture);
      }
      return fromFixture;
    }
    const login = checkSandboxLogin(request.username, request.password);
    const item = generateItem(
      {
        seed: this.seed,
        itemId: nextId(),
        institutionId: institution.institution_id,
        institutionName: institution.name,
        username: login.username,
        profile: login.profile,
        // Generated items hold every account type, so every supported optional product applies.
        products: [...products, ...optionalProducts],
        webhook: request.webhook,
        daysRequested: request.daysRequested,
        today: this.clock.today(),
        createdAt: this.clock.now().toISOString(),
      },
      this.market,
    );
    if (login.itemErrorCode) item.error = new PlaidApiError(login.itemErrorCode).toItemError();
    item.readyAt = this.wall() + this.notReadyDelayMs;
    item.lastTransactionsUpdate = this.clock.now().toISOString();
    item.lastInvestmentsUpdate = item.lastTransactionsUpdate;
    this.items.set(item.id, item);
    return item;
  }

  issuePublicToken(item: EmulatedItem): string {
    const token = newToken('public');
    this.publicTokens.set(token, {
      itemId: item.id,
      expiresAt: this.wall() + PUBLIC_TOKEN_TTL_MS,
      exchanged: false,
    });
    return token;
  }

  /** Exchanges a public token once; a second exchange, an expired or unknown token is refused. */
  exchangePublicToken(token: string): { accessToken: string; item: EmulatedItem } {
    const record = this.publicTokens.get(token);
    if (!record) {
      if (!token.startsWith('public-sandbox-')) {
        throw plaidErrors.invalidPublicToken(
          'provided public token is in an invalid format. expected format: public-<environment>-<identifier>',
        );
      }
      throw plaidErrors.invalidPublicToken();
    }
    if (record.exchanged)
      throw plaidErrors.invalidPublicToken('provided public token has already been exchanged');
    if (record.expiresAt < this.wall()) throw plaidErrors.invalidPublicToken();
    const item = this.items.get(record.itemId);
    if (!item || item.removed) throw plaidErrors.itemNotFound();
    record.exchanged = true;
    return { accessToken: this.issueAccessToken(item), item };
  }

  issueAccessToken(item: EmulatedItem): string {
    const token = newToken('access');
    this.accessTokens.set(token, item.id);
    return token;
  }

  /** The item behind an access token: unknown or foreign → INVALID_ACCESS_TOKEN, removed → ITEM_NOT_FOUND. */
  itemForAccessToken(token: string): EmulatedItem {
    const itemId = this.accessTokens.get(token);
    if (itemId === undefined) {
      if (/^access-(sandbox|development|production)-/.test(token) && !token.startsWith('access-sandbox-')) {
        throw plaidErrors.invalidAccessToken('provided access token is for a non-sandbox environment');
      }
      throw plaidErrors.invalidAccessToken();
    }
    const item = this.items.get(itemId);
    if (!item || item.removed) throw plaidErrors.itemNotFound();
    return item;
  }

  accessTokensOf(itemId: string): string[] {
    return [...this.accessTokens].filter(([, id]) => id === itemId).map(([token]) => token);
  }

  removeItem(item: EmulatedItem): void {
    item.removed = true;
  }

  /** Sends a webhook for the item when it has a URL, and records it for `/item/get`. */
  notify(item: EmulatedItem, body: WebhookPayload): boolean {
    if (!item.webhook || item.removed) return false;
    item.lastWebhook = { sent_at: this.clock.now().toISOString(), code_sent: body.webhook_code };
    this.dispatch(item.webhook, body);
    return true;
  }

  /** Sends a webhook to an explicit URL (WEBHOOK_UPDATE_ACKNOWLEDGED goes to the new one). */
  notifyUrl(item: EmulatedItem, url: string, body: WebhookPayload): void {
    item.lastWebhook = { sent_at: this.clock.now().toISOString(), code_sent: body.webhook_code };
    this.dispatch(url, body);
  }

  newLinkToken(record: Omit<LinkTokenRecord, 'token'>): LinkTokenRecord {
    const full = { ...record, token: newToken('link') };
    this.linkTokens.set(full.token, full);
    return full;
  }

  linkToken(token: string): LinkTokenRecord {
    const record = this.linkTokens.get(token);
    if (!record || record.expiresAt < this.wall()) throw plaidErrors.invalidLinkToken();
    return record;
  }
}
