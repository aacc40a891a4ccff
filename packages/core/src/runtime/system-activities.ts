import { randomUUID } from 'node:crypto';
import type { ActivityHandler } from '../definitions.js';
import type { Clock } from '../provider/clock.js';
import type { Provider } from '../provider/provider-contract.js';

import {
  SYSTEM_ACTIVITY_GET_KV_VALUE,
  SYSTEM_ACTIVITY_NEW_GUID,
  SYSTEM_ACTIVITY_PREFIX,
  SYSTEM_ACTIVITY_UTC_NOW,
} from '../replay/system-activities.js';

export {
  SYSTEM_ACTIVITY_GET_KV_VALUE,
  SYSTEM_ACTIVITY_NEW_GUID,
  SYSTEM_ACTIVITY_PREFIX,
  SYSTEM_ACTIVITY_UTC_NOW,
};

/** The built-in activities injected into every runtime at start. */
export function systemActivities(provider: Provider, clock: Clock): [string, ActivityHandler][] {
  return [
    [SYSTEM_ACTIVITY_UTC_NOW, () => clock.now()],
    [SYSTEM_ACTIVITY_NEW_GUID, () => randomUUID()],
    [
      SYSTEM_ACTIVITY_GET_KV_VALUE,
      async (_ctx, input: { instanceId?: unknown; key?: unknown } | null) => {
        if (typeof input?.instanceId !== 'string' || typeof input.key !== 'string') {
          throw new Error(`${SYSTEM_ACTIVITY_GET_KV_VALUE}: expected input { instanceId, key }`);
        }
        return provider.getKvValue(input.instanceId, input.key);
      },
    ],
  ];
}
