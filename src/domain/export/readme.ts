import type { ExportSectionName } from '../../db/repositories/export.js';

/** What each CSV of the zip holds, one line each (README.txt). */
const FILES: Record<ExportSectionName, string> = {
  user: 'you: id, email, when the account was created (never the password hash)',
  institutions: 'the banks and brokerages of your items',
  items: 'your connections to an institution (status, products, last sync; never the access token)',
  item_products: 'per item and Plaid product: whether it is on, its last sync and error',
  accounts: 'your accounts: name, mask, type, current_balance (negative = owed: cards, loans)',
  balance_history: 'one balance per account per day (date, current_balance, available_balance)',
  transactions:
    'bank and card transactions: amount (negative = money out), date, name, merchant, Plaid category, ' +
    'and your edits: user_note, user_category, user_tags, user_merchant_name, excluded, transfer pairing',
  transaction_edits_kept: 'your edits of transactions the bank removed, kept by its id in case it comes back',
  securities: 'the securities you hold, held or traded (ticker, name, type, close price)',
  holdings: 'your positions now: quantity, institution_price, institution_value, cost_basis',
  holding_snapshots: 'your positions per day (date, quantity, value)',
  investment_transactions:
    'buys, sells, dividends, fees: amount (negative = cash out of the account), quantity (Plaid sign: ' +
    'positive = bought), price, fees',
  liabilities:
    'cards, student loans, mortgages: statement figures as on a statement (owed or paid = positive), ' +
    'rates in percent',
  budgets: 'your monthly budgets per category and currency',
  rules: 'your categorisation rules (what they match, what they set)',
  sync_runs: 'the sync ledger: each sync of an item and product, when, how many rows, and its error',
};

/** README.txt of the CSV export: the conventions, and what each file holds. */
export function exportReadme(now: Date, format: string, version: number): string {
  const lines = [
    `Finance API export (${format}, version ${version}), made ${now.toISOString()}.`,
    '',
    'One CSV file per section (RFC 4180, UTF-8, CRLF line ends), with a header line of the database',
    'column names; the same rows as the JSON export (GET /v1/export?format=json).',
    '',
    'Sign convention: amounts and balances are seen from your side. Negative = money out (a purchase, a',
    'fee, a buy) or owed (a card or loan balance); positive = money in. Amounts are exact decimals with',
    'their currency in iso_currency_code (or unofficial_currency_code).',
    '',
    'Values: an empty field is no value (null); dates are YYYY-MM-DD, times ISO 8601 in UTC; true/false',
    "for yes/no; a list of texts (tags, products) is joined with ';'; any other structure (a sync error,",
    "a rule's conditions) is its JSON text. A text that starts with =, +, - or @ is prefixed with ' so that",
    'a spreadsheet does not run it as a formula (remove that first character to get the text back).',
    '',
    'Files:',
    ...Object.entries(FILES).map(([section, what]) => `  ${section}.csv: ${what}`),
    '',
    'Never in this export: access tokens (nor their ciphertext), your password hash, personal access',
    "tokens, Plaid's raw copies of the rows, or anyone else's data.",
    '',
  ];
  return lines.join('\r\n');
}
