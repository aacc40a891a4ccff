import { executeTurn, prepareTurn, resumeTurn } from '../replay/index.js';
import type { TurnEngine } from '../replay/turn-types.js';

/** The replay engine the runtime uses unless a test injects another. */
export const defaultTurnEngine: TurnEngine = { prepareTurn, executeTurn, resumeTurn };
