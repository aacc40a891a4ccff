import { displayMessage } from '../history/error-details.js';
import { METRIC_NAMES } from '../observability/metrics.js';
import type { PreparedTurn, TurnOutcome } from '../replay/turn-types.js';
import type { RuntimeServices } from './services.js';
import { turnCountBucket } from './turn-counts.js';

const TARGET = 'duroxide::runtime::execution';

const ERROR_TYPE = {
  application: 'app_error',
  infrastructure: 'infrastructure_error',
  configuration: 'config_error',
  poison: 'poison',
} as const;

/** When a committed turn ran: its clock (`nowMs` given to the engine) and its processing time. */
export interface TurnTiming {
  /** The turn's wall clock, stamped on the events it wrote. */
  nowMs: number;
  /** Processing time of the turn (replay, user code, ack). */
  turnSeconds: number;
  /** The execution's turn count including this turn, counted while the instance lock was held. */
  turns: number;
}

/**
 * Records metrics and log lines for a committed turn (§8.1), by how it ended. Fixes of duroxide's quirks:
 * the duration runs from the execution's `OrchestrationStarted` to its terminal turn (not just the last
 * turn's processing time) and the turn count is the execution's real number of turns.
 */
export function recordTurnOutcome(
  services: RuntimeServices,
  prepared: Extract<PreparedTurn, { type: 'run' }>,
  version: string,
  outcome: TurnOutcome,
  timing: TurnTiming,
): void {
  const { metrics, logger } = services;
  const name = prepared.orchestrationName;
  const turns = timing.turns;
  metrics.histogram(METRIC_NAMES.orchestrationTurnDuration, timing.turnSeconds, { orchestration_name: name });
  const fields = {
    instanceId: prepared.instance,
    executionId: prepared.executionId,
    orchestrationName: name,
    orchestrationVersion: version,
  };
  if (prepared.isNewExecution) {
    // Fix of duroxide's quirk: a start is counted once per execution, not on every turn.
    metrics.bump('orchStarts');
    metrics.counter(METRIC_NAMES.orchestrationStarts, {
      orchestration_name: name,
      version,
      initiated_by: prepared.executionId > 1 ? 'continueAsNew' : 'client',
    });
    logger.log('debug', TARGET, 'Orchestration started', fields);
  }
  const result = outcome.result;
  if (result.type === 'continue') return;
  services.turnCounts.forget(prepared.instance, prepared.executionId);
  const status =
    result.type === 'completed' ? 'success' : result.type === 'continuedAsNew' ? 'continuedAsNew' : 'failed';
  metrics.counter(METRIC_NAMES.orchestrationCompletions, {
    orchestration_name: name,
    version,
    status,
    final_turn_count: turnCountBucket(turns),
  });
  const startedAt =
    outcome.history[0]?.kind === 'OrchestrationStarted' ? outcome.history[0].timestampMs : null;
  const durationSeconds =
    startedAt === null ? timing.turnSeconds : Math.max(0, timing.nowMs - startedAt) / 1_000;
  metrics.histogram(METRIC_NAMES.orchestrationDuration, durationSeconds, {
    orchestration_name: name,
    version,
    status,
  });
  metrics.histogram(METRIC_NAMES.orchestrationTurns, turns, { orchestration_name: name });
  metrics.histogram(METRIC_NAMES.orchestrationHistorySize, outcome.history.length, {
    orchestration_name: name,
  });
  switch (result.type) {
    case 'completed':
      metrics.bump('orchCompletions');
      logger.log('debug', TARGET, 'Orchestration completed', fields);
      return;
    case 'continuedAsNew':
      metrics.bump('orchContinueAsNew');
      metrics.counter(METRIC_NAMES.orchestrationContinueAsNew, {
        orchestration_name: name,
        execution_id: String(prepared.executionId),
      });
      logger.log('debug', TARGET, 'Orchestration continued as new', fields);
      return;
    case 'cancelled':
      metrics.bump('orchFailures');
      metrics.bump('orchApplicationErrors');
      metrics.counter(METRIC_NAMES.orchestrationFailures, {
        orchestration_name: name,
        version,
        error_type: 'app_error',
        error_category: 'application',
      });
      logger.log('warn', TARGET, 'Orchestration cancelled', { ...fields, reason: result.reason });
      return;
    case 'failed': {
      const category = result.details.category;
      metrics.bump('orchFailures');
      if (category === 'application') metrics.bump('orchApplicationErrors');
      else if (category === 'infrastructure') metrics.bump('orchInfrastructureErrors');
      else if (category === 'configuration') metrics.bump('orchConfigurationErrors');
      else metrics.bump('orchPoison');
      metrics.counter(METRIC_NAMES.orchestrationFailures, {
        orchestration_name: name,
        version,
        error_type: ERROR_TYPE[category],
        error_category: category,
      });
      if (category === 'infrastructure') {
        metrics.counter(METRIC_NAMES.orchestrationInfrastructureErrors, {
          orchestration_name: name,
          error_category: category,
        });
      } else if (category === 'configuration') {
        metrics.counter(METRIC_NAMES.orchestrationConfigurationErrors, {
          orchestration_name: name,
          error_category: category,
        });
      }
      // duroxide logs application failures at WARN, the rest at ERROR.
      logger.log(category === 'application' ? 'warn' : 'error', TARGET, 'Orchestration failed', {
        ...fields,
        category,
        error: displayMessage(result.details),
      });
      return;
    }
  }
}
