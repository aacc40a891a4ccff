/** Management scripts: atomic delete with cascade checks, prune, and the selections for bulk operations. */

/**
 * ARGV: force ('1'|'0'), nIds, e... Fails (deleting nothing) when an instance is running without force or
 * a child outside the list would be orphaned. Returns {instances, executions, events, queueMessages}.
 */
export const DELETE_ATOMIC = `
local FORCE = arg() == '1'
local ids = {}
local set = {}
for i = 1, num() do
  local e = arg()
  if not set[e] then ids[#ids + 1] = e; set[e] = true end
end
for _, e in ipairs(ids) do
  local exists = redis.call('EXISTS', IK(e)) == 1 or max_exec(e) ~= nil
  if exists and not FORCE then
    local st = redis.call('HGET', IK(e, 'x', current_exec(e)), 'status') or 'Running'
    if st == 'Running' then
      fail('instance <id:' .. e .. '> is still running; pass force = true to delete a running instance')
    end
  end
  for _, c in ipairs(redis.call('SMEMBERS', IK(e, 'ch'))) do
    if not set[c] then
      fail('deleting <id:' .. e .. '> would orphan its child <id:' .. c .. '>; delete the root instance or include every descendant')
    end
  end
end
local inst, execs, events, msgs = 0, 0, 0, 0
for _, e in ipairs(ids) do
  local row = IK(e)
  local xs = redis.call('ZRANGE', IK(e, 'x'), 0, -1)
  local q = redis.call('ZRANGE', IK(e, 'q'), 0, -1)
  local w = redis.call('SMEMBERS', IK(e, 'w'))
  if redis.call('EXISTS', row) == 1 or #xs > 0 or #q > 0 or #w > 0 then inst = inst + 1 end
  for _, x in ipairs(xs) do
    events = events + redis.call('HLEN', IK(e, 'h', x))
    redis.call('DEL', IK(e, 'h', x), IK(e, 'x', x))
    execs = execs + 1
  end
  for _, id in ipairs(q) do redis.call('ZREM', K('oq'), id); redis.call('HDEL', K('omi'), id) end
  for _, wid in ipairs(w) do delete_work_row(wid) end
  msgs = msgs + #q + #w
  release_lock(e)
  local parent = redis.call('HGET', row, 'parent')
  if parent and not set[parent] then redis.call('SREM', IK(parent, 'ch'), e) end
  redis.call('DEL', row, IK(e, 'x'), IK(e, 'q'), IK(e, 'qd'), IK(e, 'qk'), IK(e, 'qa'), IK(e, 'kv'),
    IK(e, 'kvt'), IK(e, 'kd'), IK(e, 'kdt'), IK(e, 'w'), IK(e, 'ch'))
  redis.call('ZREM', K('insts'), e)
  for _, s in ipairs(STATUSES) do redis.call('SREM', K('st', s), e) end
  NOTE_I[e] = true
end
if execs > 0 then redis.call('HINCRBY', K('cnt'), 'execs', -execs) end
if events > 0 then redis.call('HINCRBY', K('cnt'), 'events', -events) end
flush_notes()
return {inst, execs, events, msgs}
`;

/**
 * ARGV: e, keepLast ('' = none), completedBefore ('' = none). Deletes old non-running executions, never
 * the current one; KV untouched. Returns {executionsDeleted, eventsDeleted}.
 */
export const PRUNE = `
local e = arg(); local KEEP = arg(); local BEFORE = arg()
if redis.call('EXISTS', IK(e)) == 0 and not max_exec(e) then fail('instance <id:' .. e .. '> not found') end
local cur = current_exec(e)
local xs = redis.call('ZRANGE', IK(e, 'x'), 0, -1)
local keep = 1
if KEEP ~= '' and tonumber(KEEP) > 1 then keep = tonumber(KEEP) end
local de, dv = 0, 0
for i, xv in ipairs(xs) do
  if i <= #xs - keep and tonumber(xv) ~= cur then
    local h = redis.call('HMGET', IK(e, 'x', xv), 'status', 'completed')
    local st = h[1] or 'Running'
    if st ~= 'Running' and (BEFORE == '' or (h[2] and tonumber(h[2]) < tonumber(BEFORE))) then
      dv = dv + redis.call('HLEN', IK(e, 'h', xv))
      redis.call('DEL', IK(e, 'h', xv), IK(e, 'x', xv))
      redis.call('ZREM', IK(e, 'x'), xv)
      de = de + 1
    end
  end
end
if de > 0 then redis.call('HINCRBY', K('cnt'), 'execs', -de) end
if dv > 0 then redis.call('HINCRBY', K('cnt'), 'events', -dv) end
return {de, dv}
`;

/** Shared by the two selections: ARGV hasIds, nIds, e..., completedBefore ('' = none), limit. */
const SELECT_PRELUDE = `
local HAS_IDS = arg() == '1'
local cands = {}
local seen = {}
for i = 1, num() do
  local e = arg()
  if not seen[e] then seen[e] = true; cands[#cands + 1] = e end
end
local BEFORE = arg(); local LIMIT = num()
local function by_age(list)
  local score = {}
  for _, e in ipairs(list) do score[e] = tonumber(redis.call('ZSCORE', K('insts'), e) or '0') end
  table.sort(list, function(a, b) return score[a] < score[b] end)
  return list
end
`;

/** Selects terminal root instances for a bulk delete, oldest first. */
export const SELECT_BULK_DELETE = `
${SELECT_PRELUDE}
if not HAS_IDS then
  for _, s in ipairs({'Completed', 'Failed', 'ContinuedAsNew'}) do
    for _, e in ipairs(redis.call('SMEMBERS', K('st', s))) do cands[#cands + 1] = e end
  end
end
local out = {}
for _, e in ipairs(by_age(cands)) do
  if #out >= LIMIT then break end
  local row = redis.call('HMGET', IK(e), 'cur', 'parent')
  if row[1] and not row[2] then
    local x = redis.call('HMGET', IK(e, 'x', row[1]), 'status', 'completed')
    if x[1] and x[1] ~= 'Running' and (BEFORE == '' or (x[2] and tonumber(x[2]) < tonumber(BEFORE))) then
      out[#out + 1] = e
    end
  end
end
return out
`;

/** Selects instances for a bulk prune (any status), oldest first. */
export const SELECT_PRUNE = `
${SELECT_PRELUDE}
if not HAS_IDS then cands = redis.call('ZRANGE', K('insts'), 0, -1) end
local out = {}
for _, e in ipairs(by_age(cands)) do
  if #out >= LIMIT then break end
  local known = redis.call('EXISTS', IK(e)) == 1 or max_exec(e) ~= nil
  local ok = known
  if known and BEFORE ~= '' then
    ok = false
    for _, xv in ipairs(redis.call('ZRANGE', IK(e, 'x'), 0, -1)) do
      local c = redis.call('HGET', IK(e, 'x', xv), 'completed')
      if c and tonumber(c) < tonumber(BEFORE) then ok = true; break end
    end
  end
  if ok then out[#out + 1] = e end
end
return out
`;
