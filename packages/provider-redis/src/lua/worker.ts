/** Worker-queue and session scripts. */

/** ARGV: e, executionId, activityId, sessionId ('' = none), tag ('' = none), payload. */
export const ENQUEUE_WORK = `
local e = arg(); local x = arg(); local aid = arg(); local sid = arg(); local tag = arg(); local payload = arg()
enqueue_work(e, x, aid, sid, tag, payload)
flush_notes()
return 1
`;

/**
 * ARGV: lockMs, token, mode ('any'|'default'|'tags'|'defaultAnd'), nTags, tags..., hasSession ('1'|'0'),
 * ownerId, sessionLockMs. Returns {1, rowId, payload, attempt, nextFetchableAt} or {0, nextFetchableAt};
 * after a hit, nextFetchableAt is false when other rows may be fetchable now (the scan did not end).
 */
export const FETCH_WORK = `
local LOCK = num(); local TOKEN = arg(); local MODE = arg()
local TAGS = {}
for i = 1, num() do TAGS[arg()] = true end
local HAS_SESS = arg() == '1'; local OWNER = arg(); local SLOCK = num()

local function tag_ok(tag)
  if MODE == 'any' then return true end
  if not tag then return MODE == 'default' or MODE == 'defaultAnd' end
  return (MODE == 'tags' or MODE == 'defaultAnd') and TAGS[tag] == true
end

-- When a row next becomes fetchable (visibility, lock expiry or a session lease ending), or -1 if never.
local function next_at(wake)
  local nxt = redis.call('ZRANGEBYSCORE', K('wq'), '(' .. ARGV[2], '+inf', 'WITHSCORES', 'LIMIT', 0, 1)
  local nv = nxt[2] and tonumber(nxt[2]) or nil
  if wake and (not nv or wake < nv) then nv = wake end
  return nv or -1
end

local wake = nil
-- Small first page: the first candidate usually matches, and every id returned costs a Lua string.
local offset, page = 0, 4
while true do
  local ids = redis.call('ZRANGEBYSCORE', K('wq'), '-inf', NOW, 'LIMIT', offset, page)
  if #ids == 0 then break end
  for i, id in ipairs(ids) do
    local r = redis.call('HMGET', K('w', id), 'tag', 'sid')
    local ok = tag_ok(r[1] or nil)
    local sid = r[2]
    if ok and sid then
      if not HAS_SESS then
        ok = false
      else
        local s = redis.call('HMGET', K('s', sid), 'owner', 'until')
        local su = tonumber(s[2] or '0')
        if su > NOW and s[1] ~= OWNER then
          ok = false
          if not wake or su < wake then wake = su end
        end
      end
    end
    if ok then
      local rest = i < #ids or #ids == page
      if sid then
        redis.call('HSET', K('s', sid), 'owner', OWNER, 'until', NOW + SLOCK, 'last', NOW)
        redis.call('SADD', K('sessions'), sid)
      end
      local wk = K('w', id)
      local old = redis.call('HGET', wk, 'tok')
      if old then redis.call('HDEL', K('wtk'), old) end
      local lu = NOW + LOCK
      redis.call('HSET', wk, 'tok', TOKEN, 'lu', lu)
      local att = redis.call('HINCRBY', wk, 'att', 1)
      redis.call('ZADD', K('wq'), lu, id)
      redis.call('HSET', K('wtk'), TOKEN, id)
      return {1, id, redis.call('HGET', wk, 'd'), att, (not rest) and next_at(wake) or false}
    end
  end
  offset = offset + #ids
  page = math.min(page * 4, 256)
end
local nv = next_at(wake)
return {0, nv >= 0 and nv or false}
`;

/** ARGV: token, hasCompletion ('1'|'0'), targetE, kind, payload. */
export const ACK_WORK = `
local TOKEN = arg(); local HAS = arg() == '1'; local te = arg(); local kind = arg(); local payload = arg()
local id = resolve_work(TOKEN, true)
local r = redis.call('HMGET', K('w', id), 'sid', 'e')
delete_work_row(id)
touch_session(r[1])
if HAS then enqueue_orch(te, kind, NOW, payload) end
flush_notes()
return 1
`;

/** ARGV: token, delayMs ('' = none), ignoreAttempt ('1'|'0'). */
export const ABANDON_WORK = `
local TOKEN = arg(); local DELAY = arg(); local IGNORE = arg() == '1'
local id = resolve_work(TOKEN, false)
local wk = K('w', id)
local vis = NOW
if DELAY ~= '' then vis = NOW + tonumber(DELAY) end
redis.call('HDEL', wk, 'tok', 'lu')
redis.call('HSET', wk, 'vis', vis)
redis.call('HDEL', K('wtk'), TOKEN)
redis.call('ZADD', K('wq'), vis, id)
if IGNORE then
  local a = tonumber(redis.call('HGET', wk, 'att') or '0')
  if a > 0 then redis.call('HSET', wk, 'att', a - 1) end
end
NOTE_W = true
flush_notes()
return 1
`;

/** ARGV: token, extendForMs. */
export const RENEW_WORK = `
local TOKEN = arg(); local EXT = num()
local id = resolve_work(TOKEN, true)
local lu = NOW + EXT
redis.call('HSET', K('w', id), 'lu', lu)
redis.call('ZADD', K('wq'), lu, id)
touch_session(redis.call('HGET', K('w', id), 'sid'))
return 1
`;

/** ARGV: extendForMs, idleTimeoutMs, nOwners, owners... Returns the number of sessions renewed. */
export const RENEW_SESSIONS = `
local EXT = num(); local IDLE = num()
local owners = {}
for i = 1, num() do owners[arg()] = true end
local count = 0
for _, sid in ipairs(redis.call('SMEMBERS', K('sessions'))) do
  local s = redis.call('HMGET', K('s', sid), 'owner', 'until', 'last')
  if not s[1] then
    redis.call('SREM', K('sessions'), sid)
  elseif owners[s[1]] and tonumber(s[2]) > NOW and tonumber(s[3]) > NOW - IDLE then
    redis.call('HSET', K('s', sid), 'until', NOW + EXT)
    count = count + 1
  end
end
return count
`;

/** ARGV: (none). Deletes expired sessions no worker row references; returns how many. */
export const CLEANUP_SESSIONS = `
local count = 0
for _, sid in ipairs(redis.call('SMEMBERS', K('sessions'))) do
  local lu = redis.call('HGET', K('s', sid), 'until')
  if not lu then
    redis.call('SREM', K('sessions'), sid)
  elseif tonumber(lu) < NOW and redis.call('SCARD', K('s', sid, 'w')) == 0 then
    redis.call('DEL', K('s', sid))
    redis.call('SREM', K('sessions'), sid)
    count = count + 1
  end
end
return count
`;
