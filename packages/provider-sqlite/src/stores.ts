import { HistoryStore, type StoreContext } from './history-store.js';
import { InstanceRows } from './instance-rows.js';
import { KvStore } from './kv-store.js';
import { ManagementDeletes } from './management-deletes.js';
import { ManagementQueries } from './management-queries.js';
import { OrchestrationAcker } from './orchestration-ack.js';
import { OrchestrationFetcher } from './orchestration-fetch.js';
import { OrchestratorQueue } from './orchestrator-queue.js';
import { SessionStore } from './sessions.js';
import { WorkerQueue } from './worker-queue.js';

/** Every store module of one connection, each holding its prepared statements. */
export interface Stores {
  /** History rows. */
  history: HistoryStore;
  /** Instance and execution rows, custom status. */
  instances: InstanceRows;
  /** KV store and delta. */
  kv: KvStore;
  /** Orchestrator queue and instance locks. */
  orchestratorQueue: OrchestratorQueue;
  /** Session leases. */
  sessions: SessionStore;
  /** Worker queue. */
  workers: WorkerQueue;
  /** Orchestration fetch. */
  fetcher: OrchestrationFetcher;
  /** Orchestration ack. */
  acker: OrchestrationAcker;
  /** Management reads. */
  queries: ManagementQueries;
  /** Deletion and pruning. */
  deletes: ManagementDeletes;
}

/** Prepares every statement of every store module once, for the life of the connection. */
export function createStores(ctx: StoreContext): Stores {
  const history = new HistoryStore(ctx);
  const instances = new InstanceRows(ctx);
  const kv = new KvStore(ctx);
  const orchestratorQueue = new OrchestratorQueue(ctx);
  const sessions = new SessionStore(ctx);
  const workers = new WorkerQueue(ctx, sessions, orchestratorQueue);
  const fetcher = new OrchestrationFetcher(ctx, orchestratorQueue, history, instances, kv);
  const acker = new OrchestrationAcker(ctx, orchestratorQueue, workers, history, instances, kv);
  const queries = new ManagementQueries(ctx, kv);
  const deletes = new ManagementDeletes(ctx, queries);
  return { history, instances, kv, orchestratorQueue, sessions, workers, fetcher, acker, queries, deletes };
}
