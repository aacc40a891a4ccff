/**
 * Orchestrator-queue scripts: enqueue, fetch-and-lock, ack, abandon and renew. Each runs atomically
 * inside Redis, so validation always happens before the first write (a script cannot roll back).
 */

/** ARGV: e, kind, visibleAt, payload. */
export const ENQUEUE_ORCH = `
local e = arg(); local kind = arg(); local vis = num(); local payload = arg()
enqueue_orch(e, kind, vis, payload)
flush_notes()
return 1
`;

/**
 * ARGV: lockMs, token, filter ('1'|'0'), minPacked, maxPacked, cacheId ('' = no history cache).
 * Returns {1, e, cur, name, ver, maxAttempt, payloads, historyFlat, kvFlat, kvTsFlat, generation, base} or
 * {0, nextFetchableAt}; base -1 means historyFlat is the whole history, else the events after the first
 * `base` events this cache id was sent earlier under the same generation.
 */
export const FETCH_ORCH = `
local LOCK = num(); local TOKEN = arg(); local FILTER = arg() == '1'; local MIN = num(); local MAX = num()
local CID = arg()

-- The history for this process: only what follows the prefix it was last sent ('lr'), when still valid.
local function history_for(e, cur)
  local xk = IK(e, 'x', cur)
  local g, n, top = '', 0, 0
  local lr = redis.call('HGET', xk, 'lr')
  if lr and CID ~= '' then
    local c, lg, ln, lt = string.match(lr, '^(%S+) (%S+) (%S+) (%S+)$')
    if c == CID then g, n, top = lg, tonumber(ln), tonumber(lt) end
  end
  local h = hist_read(e, cur, g, n, top)
  if h[1] and CID ~= '' then redis.call('HSET', xk, 'lr', CID .. ' ' .. h[1] .. ' ' .. h[4] .. ' ' .. h[5]) end
  return h
end

local function try_lock(e)
  local lu = tonumber(redis.call('HGET', IK(e, 'lk'), 'until') or '0')
  if lu > NOW then return nil end
  local has_row = redis.call('EXISTS', IK(e)) == 1
  local cur = current_exec(e)
  -- The version filter runs before locking and before history is read (first range only).
  if FILTER then
    local pv = redis.call('HGET', IK(e, 'x', cur), 'pv')
    if pv and (tonumber(pv) < MIN or tonumber(pv) > MAX) then return nil end
  end
  local ids = redis.call('ZRANGEBYSCORE', IK(e, 'q'), '-inf', NOW)
  if #ids == 0 then return nil end
  table.sort(ids)
  if not has_row and redis.call('EXISTS', IK(e, 'h', cur)) == 0 then
    local kinds = hmget_all(IK(e, 'qk'), ids)
    local start, only_queue = false, true
    for _, k in ipairs(kinds) do
      if k == 'StartOrchestration' or k == 'ContinueAsNew' then start = true end
      if k ~= 'QueueMessage' then only_queue = false end
    end
    if not start then
      if only_queue then
        for _, id in ipairs(ids) do delete_orch_msg(e, id) end
        return 'dropped'
      end
      return nil
    end
  end
  release_lock(e)
  local lock_until = NOW + LOCK
  redis.call('HSET', IK(e, 'lk'), 'tok', TOKEN, 'until', lock_until, 'at', NOW)
  redis.call('HSET', K('lktok'), TOKEN, e)
  local max_att = 0
  for _, id in ipairs(ids) do
    redis.call('SADD', IK(e, 'tg'), id)
    local a = redis.call('HINCRBY', IK(e, 'qa'), id, 1)
    if a > max_att then max_att = a end
    redis.call('ZADD', K('oq'), lock_until, id)
  end
  -- Later messages that become visible during the lock wait for its release or expiry.
  local later = redis.call('ZRANGEBYSCORE', IK(e, 'q'), '(' .. ARGV[2], '(' .. lock_until)
  for _, id in ipairs(later) do redis.call('ZADD', K('oq'), lock_until, id) end
  local row = redis.call('HMGET', IK(e), 'name', 'ver')
  local h = history_for(e, cur)
  return {1, e, cur, row[1], row[2], max_att, hmget_all(IK(e, 'qd'), ids),
    h[3], redis.call('HGETALL', IK(e, 'kv')), redis.call('HGETALL', IK(e, 'kvt')), h[1], h[2]}
end

local seen = {}
-- Small first page: the first candidate usually locks, and every id returned costs a Lua string.
local offset, page = 0, 4
while true do
  local ids = redis.call('ZRANGEBYSCORE', K('oq'), '-inf', NOW, 'LIMIT', offset, page)
  if #ids == 0 then break end
  local restart = false
  for _, id in ipairs(ids) do
    local e = redis.call('HGET', K('omi'), id)
    if not e then
      redis.call('ZREM', K('oq'), id)
      restart = true
      break
    end
    if not seen[e] then
      seen[e] = true
      local r = try_lock(e)
      if r == 'dropped' then restart = true; break end
      if r then flush_notes(); return r end
    end
  end
  if restart then offset = 0 else offset = offset + #ids end
  page = math.min(page * 4, 256)
end
flush_notes()
local nxt = redis.call('ZRANGEBYSCORE', K('oq'), '(' .. ARGV[2], '+inf', 'WITHSCORES', 'LIMIT', 0, 1)
return {0, nxt[2] or false}
`;

/**
 * ARGV: token, executionId, name, version, parentE, status, hasOutput, output, pinnedPacked, pinned,
 * customStatusAction ('0' none | '1' set | '2' clear), customStatus,
 * nEvents [eventId json]..., nKv [op key value ts]..., nWork [e x aid sid tag payload]...,
 * nCancel [e x aid]..., nOrch [e kind visibleAt payload]...
 */
export const ACK_ORCH = `
local TOKEN = arg(); local X = num()
local NAME = arg(); local VER = arg(); local PARENT = arg()
local STATUS = arg(); local HAS_OUT = arg() == '1'; local OUTPUT = arg()
local PV = arg(); local PVS = arg()
local CS = arg(); local CSV = arg()
local e = resolve_lock(TOKEN, true)
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

-- Everything below cannot fail: the ack is validated.
local row = IK(e)
if NAME ~= '' and VER ~= '' then
  if redis.call('EXISTS', row) == 0 then
    redis.call('HSET', row, 'cur', X, 'created', NOW, 'csv', 0)
    redis.call('ZADD', K('insts'), redis.call('INCR', K('seq')), e)
  end
  redis.call('HSET', row, 'name', NAME, 'ver', VER)
  if PARENT ~= '' and redis.call('HSETNX', row, 'parent', PARENT) == 1 then
    redis.call('SADD', IK(PARENT, 'ch'), e)
  end
end
ensure_exec(e, X)
local xk = IK(e, 'x', X)
if PV ~= '' then redis.call('HSET', xk, 'pv', PV, 'pvs', PVS) end
local has_row = redis.call('EXISTS', row) == 1
if has_row then
  if X > tonumber(redis.call('HGET', row, 'cur')) then redis.call('HSET', row, 'cur', X) end
  redis.call('HSET', row, 'updated', NOW)
end
hist_append(e, X, events)
if #events > 0 then redis.call('HINCRBY', K('cnt'), 'events', #events) end
if STATUS ~= '' then
  redis.call('HSET', xk, 'status', STATUS, 'completed', NOW)
  if HAS_OUT then redis.call('HSET', xk, 'output', OUTPUT) else redis.call('HDEL', xk, 'output') end
end
if CS ~= '0' and has_row then
  if CS == '1' then redis.call('HSET', row, 'cs', CSV) else redis.call('HDEL', row, 'cs') end
  redis.call('HINCRBY', row, 'csv', 1)
end

local kv, kvt, kd, kdt = IK(e, 'kv'), IK(e, 'kvt'), IK(e, 'kd'), IK(e, 'kdt')
for i = 1, num() do
  local op = arg(); local key = arg(); local val = arg(); local ts = arg()
  if op == 's' then
    redis.call('HSET', kd, key, 'v' .. val); redis.call('HSET', kdt, key, ts)
  elseif op == 'c' then
    redis.call('HSET', kd, key, 'x'); redis.call('HSET', kdt, key, NOW)
  else
    for _, k in ipairs(redis.call('HKEYS', kd)) do redis.call('HSET', kd, k, 'x'); redis.call('HSET', kdt, k, NOW) end
    for _, k in ipairs(redis.call('HKEYS', kv)) do redis.call('HSET', kd, k, 'x'); redis.call('HSET', kdt, k, NOW) end
  end
end
if STATUS ~= '' then
  local d = redis.call('HGETALL', kd)
  for i = 1, #d, 2 do
    local k, v = d[i], d[i + 1]
    if string.sub(v, 1, 1) == 'v' then
      redis.call('HSET', kv, k, string.sub(v, 2))
      redis.call('HSET', kvt, k, redis.call('HGET', kdt, k) or NOW)
    else
      redis.call('HDEL', kv, k); redis.call('HDEL', kvt, k)
    end
  end
  redis.call('DEL', kd, kdt)
end

for i = 1, num() do
  local we = arg(); local wx = arg(); local aid = arg(); local sid = arg(); local tag = arg(); local payload = arg()
  enqueue_work(we, wx, aid, sid, tag, payload)
end
-- Cancelled activities are deleted after the inserts: scheduled-and-cancelled in one turn ends up absent.
for i = 1, num() do
  local ce = arg(); local cx = arg(); local caid = arg()
  for _, wid in ipairs(redis.call('SMEMBERS', IK(ce, 'w'))) do
    local r = redis.call('HMGET', K('w', wid), 'x', 'aid')
    if r[1] == cx and r[2] == caid then delete_work_row(wid) end
  end
end
for i = 1, num() do
  local oe = arg(); local kind = arg(); local vis = num(); local payload = arg()
  enqueue_orch(oe, kind, vis, payload)
end
for _, id in ipairs(redis.call('SMEMBERS', IK(e, 'tg'))) do delete_orch_msg(e, id) end
release_lock(e)
reset_scores(e)
reindex(e)
NOTE_I[e] = true
flush_notes()
return 1
`;

/** ARGV: token, delayMs ('' = none), ignoreAttempt ('1'|'0'). */
export const ABANDON_ORCH = `
local TOKEN = arg(); local DELAY = arg(); local IGNORE = arg() == '1'
local e = resolve_lock(TOKEN, false)
for _, id in ipairs(redis.call('SMEMBERS', IK(e, 'tg'))) do
  if DELAY ~= '' then redis.call('ZADD', IK(e, 'q'), NOW + tonumber(DELAY), id) end
  if IGNORE then
    local a = tonumber(redis.call('HGET', IK(e, 'qa'), id) or '0')
    if a > 0 then redis.call('HSET', IK(e, 'qa'), id, a - 1) end
  end
end
release_lock(e)
reset_scores(e)
flush_notes()
return 1
`;

/** ARGV: token, extendForMs. */
export const RENEW_ORCH = `
local TOKEN = arg(); local EXT = num()
local e = resolve_lock(TOKEN, true)
local lu = NOW + EXT
redis.call('HSET', IK(e, 'lk'), 'until', lu)
local all = redis.call('ZRANGE', IK(e, 'q'), 0, -1, 'WITHSCORES')
for i = 1, #all, 2 do
  local score = tonumber(all[i + 1])
  if score < lu then score = lu end
  redis.call('ZADD', K('oq'), score, all[i])
end
return 1
`;
