/** Scripts that read several keys consistently (history, KV, stats, management reads) or append history. */

/**
 * ARGV: e, executionId ('' = latest, from the executions set), and the caller's cache of one execution:
 * cachedExecution ('' = none), generation, eventCount, lastEventId. Returns {executionId, historyFlat,
 * generation, base} (see hist_read: base -1 = whole history).
 */
export const READ_HISTORY = `
local e = arg(); local X = arg(); local CX = arg(); local CG = arg(); local CN = num(); local CT = num()
if X == '' then X = max_exec(e) or 1 end
X = tonumber(X)
local g = ''
if CX ~= '' and tonumber(CX) == X then g = CG end
local h = hist_read(e, X, g, CN or 0, CT or 0)
return {X, h[3], h[1], h[2]}
`;

/** ARGV: e, executionId, nEvents [eventId json]... Duplicate ids fail the whole append. */
export const APPEND_HISTORY = `
local e = arg(); local X = num()
local hkey = IK(e, 'h', X)
local events = {}
local dup = {}
for i = 1, num() do
  local id = arg(); local json = arg()
  if dup[id] or redis.call('HEXISTS', hkey, id) == 1 then
    fail('duplicate event id ' .. id .. ' in execution ' .. X .. ' of <id:' .. e .. '> (history is append-only)')
  end
  dup[id] = true
  events[#events + 1] = {id, json}
end
ensure_exec(e, X)
hist_append(e, X, events)
redis.call('HINCRBY', K('cnt'), 'events', #events)
NOTE_I[e] = true
flush_notes()
return 1
`;

/** ARGV: e, key. Returns {1, value} or {0}: the delta wins over the store, a tombstone hides the key. */
export const GET_KV = `
local e = arg(); local key = arg()
local d = redis.call('HGET', IK(e, 'kd'), key)
if d then
  if string.sub(d, 1, 1) == 'v' then return {1, string.sub(d, 2)} end
  return {0}
end
local v = redis.call('HGET', IK(e, 'kv'), key)
if v then return {1, v} end
return {0}
`;

/** ARGV: e. Returns the merged live view as a flat key/value list. */
export const GET_KV_ALL = `
local e = arg()
local merged = {}
local order = {}
local s = redis.call('HGETALL', IK(e, 'kv'))
for i = 1, #s, 2 do merged[s[i]] = s[i + 1]; order[#order + 1] = s[i] end
local d = redis.call('HGETALL', IK(e, 'kd'))
for i = 1, #d, 2 do
  if merged[d[i]] == nil then order[#order + 1] = d[i] end
  if string.sub(d[i + 1], 1, 1) == 'v' then merged[d[i]] = string.sub(d[i + 1], 2) else merged[d[i]] = false end
end
local out = {}
for _, k in ipairs(order) do
  if merged[k] then out[#out + 1] = k; out[#out + 1] = merged[k] end
end
return out
`;

/** ARGV: e. Returns {events, historyBytes, pendingMessages, kvKeys, kvBytes} or false when unknown. */
export const INSTANCE_STATS = `
local e = arg()
if redis.call('EXISTS', IK(e)) == 0 and not max_exec(e) then return false end
local cur = current_exec(e)
local vals = redis.call('HVALS', IK(e, 'h', cur))
local hbytes = 0
for _, v in ipairs(vals) do hbytes = hbytes + #v end
local live = {}
local kvbytes = 0
local s = redis.call('HGETALL', IK(e, 'kv'))
for i = 1, #s, 2 do live[s[i]] = true; kvbytes = kvbytes + #s[i + 1] end
local d = redis.call('HGETALL', IK(e, 'kd'))
for i = 1, #d, 2 do
  if string.sub(d[i + 1], 1, 1) == 'v' then
    live[d[i]] = true
    kvbytes = kvbytes + #d[i + 1] - 1
  else
    live[d[i]] = nil
  end
end
local keys = 0
for _ in pairs(live) do keys = keys + 1 end
return {#vals, hbytes, redis.call('ZCARD', IK(e, 'q')), keys, kvbytes}
`;

/** ARGV: e. Returns {rowFlat, status, output} or false when there is no instance row. */
export const INSTANCE_INFO = `
local e = arg()
local row = redis.call('HGETALL', IK(e))
if #row == 0 then return false end
local cur = redis.call('HGET', IK(e), 'cur')
local x = redis.call('HMGET', IK(e, 'x', cur), 'status', 'output')
return {row, x[1] or 'Running', x[2]}
`;

/** ARGV: e, executionId. Returns {execFlat, eventCount} or false when unknown. */
export const EXECUTION_INFO = `
local e = arg(); local X = arg()
local x = redis.call('HGETALL', IK(e, 'x', X))
if #x == 0 then return false end
return {x, redis.call('HLEN', IK(e, 'h', X))}
`;

/** Returns {instances, executions, running, completed, failed, events, orchestratorDepth, workerDepth}. */
export const METRICS = `
local c = redis.call('HMGET', K('cnt'), 'execs', 'events')
return {redis.call('ZCARD', K('insts')), tonumber(c[1] or '0'), redis.call('SCARD', K('st', 'Running')),
  redis.call('SCARD', K('st', 'Completed')), redis.call('SCARD', K('st', 'Failed')), tonumber(c[2] or '0'),
  redis.call('ZCOUNT', K('oq'), '-inf', NOW), redis.call('ZCOUNT', K('wq'), '-inf', NOW)}
`;

/** ARGV: e. Returns the highest execution id of the instance and its queued-message max attempt (test hooks). */
export const MAX_ATTEMPT = `
local e = arg()
local m = 0
for _, v in ipairs(redis.call('HVALS', IK(e, 'qa'))) do
  if tonumber(v) > m then m = tonumber(v) end
end
return m
`;

/** ARGV: e, replacement. Overwrites every event of the current execution (test hook for corrupt history). */
export const CORRUPT_HISTORY = `
local e = arg(); local repl = arg()
local hkey = IK(e, 'h', current_exec(e))
local n = 0
for _, id in ipairs(redis.call('HKEYS', hkey)) do redis.call('HSET', hkey, id, repl); n = n + 1 end
if n == 0 then redis.call('HSET', hkey, '1', repl) end
-- Only an existing execution has a generation that a cache could hold.
if redis.call('EXISTS', IK(e, 'x', current_exec(e))) == 1 then hist_bump(e, current_exec(e)) end
return n
`;
