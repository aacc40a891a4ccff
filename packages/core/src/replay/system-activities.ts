/** Prefix reserved for the built-in activities behind `utcNow`, `newGuid` and `getValueFromInstance`. */
export const SYSTEM_ACTIVITY_PREFIX = '__duroxide_syscall:';
/** Activity returning the worker's wall clock in epoch ms (input `null`). */
export const SYSTEM_ACTIVITY_UTC_NOW = '__duroxide_syscall:utc_now_ms';
/** Activity returning a fresh GUID string (input `null`). */
export const SYSTEM_ACTIVITY_NEW_GUID = '__duroxide_syscall:new_guid';
/** Activity reading another instance's KV value; input JSON `{"instanceId":..,"key":..}`, output string or null. */
export const SYSTEM_ACTIVITY_GET_KV_VALUE = '__duroxide_syscall:get_kv_value';
