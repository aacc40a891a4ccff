import type Database from 'better-sqlite3';
import type { CommitNotifier } from './notifier.js';

/** Key of the provider's raw-access method; deliberately not exported from the package index. */
export const RAW_ACCESS: unique symbol = Symbol('duroxide.sqlite.rawAccess');

/** What raw access exposes (tests and diagnostics only). */
export interface RawAccess {
  /** The open connection. */
  db: Database.Database;
  /** The commit notifier this provider signals. */
  notifier: CommitNotifier;
}
