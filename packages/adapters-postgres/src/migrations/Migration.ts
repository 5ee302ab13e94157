import { Data, type DateTime } from "effect"

/**
 * One schema change, as plain SQL that runs on PostgreSQL 15+ and on PGlite. `up` and `down`
 * may hold several statements; each runs in one transaction with its bookkeeping row.
 */
export interface Migration {
  readonly version: number
  readonly name: string
  readonly up: string
  readonly down: string
}

export interface AppliedMigration {
  readonly version: number
  readonly name: string
  readonly appliedAt: DateTime.Utc
}

export interface MigrationStatus {
  readonly applied: ReadonlyArray<AppliedMigration>
  readonly pending: ReadonlyArray<Migration>
  /** Every known migration is applied. */
  readonly current: boolean
}

/** A migration failed (and was rolled back), or the database is in a state this version cannot handle. */
export class MigrationError extends Data.TaggedError("MigrationError")<{
  readonly message: string
  readonly cause?: unknown
}> {}
