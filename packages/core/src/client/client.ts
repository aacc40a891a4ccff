// PLACEHOLDER until the runtime/client work lands: the real Client lives here.
import type { Provider } from '../provider/provider-contract.js';

/** Instance control, status, waits and management over a provider. */
export class Client {
  constructor(readonly provider: Provider) {}
}
