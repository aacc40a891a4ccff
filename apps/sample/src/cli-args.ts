/** What the approver does when an order waits for approval. */
export type ApprovalMode = 'approve' | 'reject' | 'none';

/** Parsed command line. */
export interface SampleArgs {
  /** Store location: a SQLite path or `sqlite:` URL (postgres:// and redis:// are recognised but not available yet). */
  db: string;
  /** How many orders to run concurrently. */
  orders: number;
  /** Decline every payment attempt, exercising retries and the compensation path. */
  failPayment: boolean;
  /** Make the carrier refuse every shipment (refund, then release). */
  failShipping: boolean;
  /** Approve, reject, or send nothing (the approval timeout decides). */
  approval: ApprovalMode;
  /** How long orders wait for approval. */
  approvalTimeoutMs: number;
  /** What the timeout means when nobody answers. */
  approveOnTimeout: boolean;
  /** Print usage and exit. */
  help: boolean;
}

/** The usage text. */
export const USAGE = `usage: node dist/main.js [options]
  --db <path|sqlite:url>   store (default ./sample.db); postgres:// and redis:// are not available yet
  --orders <n>             number of orders to run concurrently (default 1)
  --fail-payment           decline every payment attempt (retries, then compensation)
  --fail-shipping          the carrier refuses the shipment (refund, then release)
  --approve                approve orders when they ask (default)
  --reject                 reject orders when they ask
  --no-approval            send no decision: the approval timeout decides
  --approval-timeout <ms>  how long orders wait for approval (default 1000)
  --approve-on-timeout     treat a timed-out approval as approved (default: rejected)
  --help                   show this text`;

/** A command-line mistake; the message names the problem. */
export class UsageError extends Error {}

function positiveInt(flag: string, raw: string | undefined): number {
  const n = Number(raw);
  if (raw === undefined || !Number.isInteger(n) || n < 1)
    throw new UsageError(`${flag} expects a positive integer, got ${raw ?? 'nothing'}`);
  return n;
}

/** Parses the sample's arguments (everything after `node dist/main.js`). */
export function parseArgs(argv: readonly string[]): SampleArgs {
  const args: SampleArgs = {
    db: './sample.db',
    orders: 1,
    failPayment: false,
    failShipping: false,
    approval: 'approve',
    approvalTimeoutMs: 1_000,
    approveOnTimeout: false,
    help: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    switch (flag) {
      case '--db': {
        const value = argv[++i];
        if (value === undefined || value === '') throw new UsageError('--db expects a path or URL');
        args.db = value;
        break;
      }
      case '--orders':
        args.orders = positiveInt(flag, argv[++i]);
        break;
      case '--approval-timeout':
        args.approvalTimeoutMs = positiveInt(flag, argv[++i]);
        break;
      case '--fail-payment':
        args.failPayment = true;
        break;
      case '--fail-shipping':
        args.failShipping = true;
        break;
      case '--approve':
      case '--reject':
      case '--no-approval':
        args.approval = flag === '--approve' ? 'approve' : flag === '--reject' ? 'reject' : 'none';
        break;
      case '--approve-on-timeout':
        args.approveOnTimeout = true;
        break;
      case '--help':
      case '-h':
        args.help = true;
        break;
      default:
        throw new UsageError(`unknown option '${flag}'`);
    }
  }
  return args;
}

/** The provider family a `--db` value names. */
export function storeKind(db: string): 'sqlite' | 'postgres' | 'redis' {
  if (/^postgres(ql)?:\/\//i.test(db)) return 'postgres';
  if (/^rediss?:\/\//i.test(db)) return 'redis';
  return 'sqlite';
}
