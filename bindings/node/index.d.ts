// pricebook in process for Node and TypeScript. Decimals are strings (JavaScript has no
// decimal type): `'6300'`, `'35.00'`. Every failure is a thrown `PricebookError`.

/** Dimension values: `{ resolution: '4K' }`, or `['4K']`, `['resolution=4K']`. */
export type Dims = Array<string> | Record<string, string>

export interface QuoteArgs {
  /** With several vendors loaded (a directory of vendors' directories): the one to ask. */
  book?: string
  /** A plan's slug or display name; may be left out when the book has one plan or none. */
  plan?: string
  /** A product's slug or display name. */
  product: string
  /** The usage with its unit: `'90 second'`, `'1500 character'`. */
  quantity: string
  dims?: Dims
  /** The usage's attributes, for the plan's limits on them: `{ scenes: 51 }`. */
  attrs?: Record<string, string | number>
  /** `'YYYY-MM-DD'`: the day whose version prices the usage (the latest without one). */
  at?: string
  /** `false` leaves `explain` empty: the explanation costs more than the price itself. */
  explain?: boolean
}

export interface CapacityArgs {
  book?: string
  plan?: string
  product: string
  dims?: Dims
  /** The unit to count in (default: the unit the product is rated per). */
  unit?: string
  at?: string
}

/** One usage event of a bill: `time` and `product` with `quantity`, or `buy` (a pack). */
export interface UsageEvent {
  /** RFC 3339, or a date for midnight UTC. */
  time: string
  product?: string
  /** `'90 second'`, or a number with `unit`, or a number in the product's base unit. */
  quantity?: string | number
  unit?: string
  /** A pack bought. */
  buy?: string
  dims?: Dims
  [field: string]: unknown
}

export interface BillArgs {
  book?: string
  plan?: string
  /** Event objects, or a usage file's path (JSON Lines or CSV). */
  usage: string | UsageEvent[]
  /** The first day of the first period (default: the first event's month). */
  from?: string
  /** How many periods (default: through the last event). */
  periods?: number
  billing?: 'monthly' | 'annual'
  /** The day whose version prices the bill (default: the bill's first day). */
  at?: string
  /** An earlier bill, or its `closing_wallet`, so carried-over credits continue. */
  wallet?: Bill | WalletState
  /** `'below=1000,to=5000,cap=200'`: the account's auto-recharge settings. */
  autoRecharge?: string
  /** A contract's path: enterprise terms layered on the book. */
  contract?: string
}

/** One event of a usage export to rate. */
export interface RateEvent {
  account: string
  plan: string
  product: string
  quantity: string | number
  unit?: string
  dims?: Dims
  [field: string]: unknown
}

export interface RateOptions {
  book?: string
  by?: 'account' | 'plan' | 'product'
  at?: string
}

export interface Amount {
  amount: string
  unit: string
}

export interface Money {
  amount: string
  currency: string
}

export interface Quote {
  /** The plan's slug (absent for a book without plans). */
  plan?: string
  product: string
  /** The charge rounded once to the unit's places, and `exact`, the charge before that rounding. */
  charge: Amount & { exact: string }
  /** What the charge is worth on the plan; absent when the plan publishes no price for it. */
  money?: Money
  /** Each rule applied, with its `file:line` (empty when asked with `explain: false`). */
  explain: string[]
  /** The file that priced it: the book, the version picked from a directory, or the table. */
  source: string
}

export interface Capacity {
  value: string
  unit: string
}

export interface BillLine {
  period: string
  kind: string
  description: string
  quantity: string | null
  amount: string | null
}

export interface GrantReport {
  grant: string
  unit: string
  granted: string
  consumed: string
  expired: string
  remaining: string
  expires: string | null
}

export interface RejectedEvent {
  line: number
  time: string | null
  product: string | null
  reason: string
  /** `'rule'` or `'bad-line'`. */
  kind: string
  rejection: string | null
  rule_line: number | null
}

export interface WalletState {
  as_of: string
  grants: Array<{
    grant: string
    unit: string
    remaining: string
    expires: string | null
    priority: number
  }>
}

/** The bill's JSON, as `pricebook bill --format json` writes it. */
export interface Bill {
  versions: Array<{ vendor: string; version: string; effective: string; source?: string | null }>
  total: Money
  lines: BillLine[]
  wallet: GrantReport[]
  rejected: RejectedEvent[]
  closing_wallet: WalletState
}

/** Rated totals, as `pricebook rate --format json` writes them. */
export interface RateReport {
  /** One row per group and unit: the group's name under `account`, `plan` or `product`. */
  totals: Array<{ amount: string; unit: string; events: number; [group: string]: string | number }>
  rated: number
  lines: number
  bad_lines: Array<{ line: number; reason: string }>
  rejected: Array<{ line: number; reason: string }>
}

export interface Label {
  file: string
  line: number
  column: number
  text: string
  message: string
}

/** One finding of the checker, as `pricebook check --format json` lists it. */
export interface Diagnostic {
  code: string
  severity: 'error' | 'warning'
  message: string
  file: string
  line: number
  column: number
  end_line: number
  end_column: number
  help: string | null
  labels: Label[]
}

/**
 * What every function throws: an `Error` with a stable `code`: `'rejected'` (a usage the
 * book's rules refuse: `kind`, `reason`, `line`, `file`), `'book'` (a book that does not
 * check: `diagnostics`), `'unknown-reference'`, `'invalid-value'`, `'missing-statement'`,
 * `'not-in-force'`, `'bad-request'`, `'no-book'`, `'io-error'`, `'table-invalid'`; a
 * malformed argument is a `TypeError` with code `'argument'`, and a missing or mistyped field an
 * `Error` with napi-rs's conversion code (`'InvalidArg'`, `'StringExpected'`, ...).
 */
export interface PricebookError extends Error {
  code: string
  help?: string | null
  kind?: string
  reason?: string
  line?: number | null
  file?: string | null
  diagnostics?: Diagnostic[]
  /** The question's field the error is about (`'at'`, `'plan'`, ...), when it is about one. */
  field?: string
}

/**
 * A loaded book: one book, a compiled table, or a vendor's directory of versions (each
 * question picks the version in force on its `at` day, the latest without one).
 */
export declare class Book {
  quote(args: QuoteArgs): Quote
  capacity(args: CapacityArgs): Capacity
  bill(args: BillArgs): Bill
  rate(events: string | RateEvent[], options?: RateOptions | null): RateReport
  /** The version label in force on `at` (the latest without one). */
  version(at?: string | null): string
  readonly path: string
  readonly vendor: string
  readonly currency: string
  readonly plans: string[]
  readonly products: string[]
}

/** Loads a book, a compiled table (`.json`) or a vendor's directory of versions. */
export declare function load(path: string): Book

/** Checks books (files, or directories searched for `*.pricebook`): every diagnostic. */
export declare function check(paths: string | string[]): Diagnostic[]
