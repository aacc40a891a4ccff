/** Maximum number of KV keys one instance may hold. */
export const MAX_KV_KEYS = 150;
/** Maximum size of one KV value in UTF-8 bytes (64 KiB). */
export const MAX_KV_VALUE_BYTES = 65_536;
/** Maximum size of the custom status in UTF-8 bytes (256 KiB). */
export const MAX_CUSTOM_STATUS_BYTES = 262_144;
/** Maximum size of an activity tag in UTF-8 bytes. */
export const MAX_TAG_NAME_BYTES = 256;
/** Maximum number of tags in one worker tag filter. */
export const MAX_WORKER_TAGS = 5;
/** Maximum number of unconsumed queue messages carried over continue-as-new. */
export const MAX_CARRY_FORWARD_EVENTS = 20;
/** Default largest serialized event or work item a provider accepts (16 MiB). */
export const DEFAULT_MAX_PAYLOAD_BYTES = 16 * 1024 * 1024;
/** The first execution id of every instance. */
export const INITIAL_EXECUTION_ID = 1;
/** The event id of every execution's `OrchestrationStarted`. */
export const INITIAL_EVENT_ID = 1;
