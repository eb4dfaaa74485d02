/** What every panel is given: the page's configuration and a few shared actions. */
export interface LinkConfig {
  kind: 'emulator' | 'plaid';
  /** The emulator's address as the browser reaches it (emulator mode). */
  url?: string;
  /** Plaid Link's script (real Plaid). */
  scriptUrl?: string;
}

export interface DashboardConfig {
  session: { user: { id: string; email: string }; csrf_token: string } | null;
  link: LinkConfig;
  /** Endpoints other parts of the API may or may not have yet (the panels hide without them). */
  features: {
    budgets: boolean;
    insights: boolean;
    transactionEdits: boolean;
    export: boolean;
    deleteMe: boolean;
  };
}

export interface PanelContext {
  config: DashboardConfig;
  /** Tells the page-wide live region (screen readers) and shows it. */
  status(message: string, kind?: 'info' | 'error' | 'ok'): void;
  /** Opens another panel (its hash), optionally with parameters. */
  go(panel: string, params?: Record<string, string>): void;
  /** The current panel's parameters (after `?` in the hash). */
  params: URLSearchParams;
}
