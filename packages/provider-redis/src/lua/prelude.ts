/**
 * Lua shared by every script. Every script is called with ARGV[1] = key prefix and ARGV[2] = "now" in
 * epoch ms from the provider's injected clock (never Redis TIME); the rest of ARGV is read in order with
 * `arg()`/`num()`. Ids that appear in keys arrive already escaped by `encodeId` (no ':' possible), so no
 * id can name another instance's keys.
 *
 * Key layout (P = prefix, e = escaped instance id, N = execution id, id = zero-padded sequence number):
 *   P:seq                 counter for message/row ids (zero-padded so equal scores sort FIFO)
 *   P:oq                  zset orchestrator message id -> fetchable-at (visible_at, or lock expiry while locked)
 *   P:omi                 hash message id -> e
 *   P:lktok               hash instance lock token -> e
 *   P:i:e                 hash instance row: name ver cur parent cs csv created updated
 *   P:i:e:q / qd qk qa    zset id -> visible_at; hashes id -> payload / kind / attempt count
 *   P:i:e:lk / tg         hash lock (tok until at); set of message ids tagged by the current lock
 *   P:i:e:x / x:N / h:N   zset of execution ids; execution hash; history hash event id -> event JSON
 *   P:i:e:kv kvt kd kdt   KV store (value, ts) and current-execution delta ('v'..value or 'x' tombstone, ts)
 *   P:i:e:w / ch          set of worker row ids of the instance; set of child instances
 *   P:w:id                hash worker row: d e x aid sid tag vis att tok lu
 *   P:wq / P:wtk          zset row id -> fetchable-at; hash worker token -> row id
 *   P:s:sid / s:sid:w     session hash (owner until last); set of worker rows bound to the session
 *   P:sessions            set of session ids
 *   P:insts / P:st:S      zset of instance rows by creation order; status sets of current executions
 *   P:cnt                 hash counters: execs events
 *   P:n                   pub/sub channel: "<flags>|<e> <e>..." (flags: o = orchestrator work, w = worker work;
 *                         a count after the letter = that many new fetchable items, none = unknown, wake all)
 */
export const PRELUDE = `
local P = ARGV[1]
local NOW = tonumber(ARGV[2])
local AI = 3
local function arg() local v = ARGV[AI]; AI = AI + 1; return v end
local function num() return tonumber(arg()) end
-- Keys are built with one concatenation each, not table.concat over varargs: that allocated a table per
-- key and cost as much as the Redis call that used the key.
local function K(a, b, c)
  if c then return P .. ':' .. a .. ':' .. b .. ':' .. c end
  if b then return P .. ':' .. a .. ':' .. b end
  return P .. ':' .. a
end
local function IK(e, a, b)
  if b then return P .. ':i:' .. e .. ':' .. a .. ':' .. b end
  if a then return P .. ':i:' .. e .. ':' .. a end
  return P .. ':i:' .. e
end
local function fail(msg) error({err = 'DUROXIDE ' .. msg}) end
local function newid() return string.format('%016d', redis.call('INCR', K('seq'))) end

-- NOTE_O / NOTE_W: work of unknown count or time (delayed, released, session-bound) wakes every waiter;
-- NOTE_OI (instances with messages fetchable now) and NOTE_WN (plain rows) wake one waiter per item.
local NOTE_O, NOTE_W, NOTE_I, NOTE_OI, NOTE_WN = false, false, {}, {}, 0
local function flush_notes()
  local ids = {}
  for e in pairs(NOTE_I) do ids[#ids + 1] = e end
  local on = 0
  for _ in pairs(NOTE_OI) do on = on + 1 end
  local flags = (NOTE_O and 'o' or (on > 0 and ('o' .. on) or ''))
    .. (NOTE_W and 'w' or (NOTE_WN > 0 and ('w' .. NOTE_WN) or ''))
  if flags ~= '' or #ids > 0 then
    redis.call('PUBLISH', K('n'), flags .. '|' .. table.concat(ids, ' '))
  end
end

local function hmget_all(key, ids)
  local out = {}
  for i = 1, #ids, 500 do
    local chunk = {}
    for j = i, math.min(i + 499, #ids) do chunk[#chunk + 1] = ids[j] end
    local vals = redis.call('HMGET', key, unpack(chunk))
    for _, v in ipairs(vals) do out[#out + 1] = v end
    for j = #vals + 1, #chunk do out[#out + 1] = false end
  end
  return out
end

local function max_exec(e)
  local m = redis.call('ZRANGE', IK(e, 'x'), -1, -1)
  if m[1] then return tonumber(m[1]) end
  return nil
end

local function current_exec(e)
  local cur = redis.call('HGET', IK(e), 'cur')
  if cur then return tonumber(cur) end
  return max_exec(e) or 1
end

local function enqueue_orch(e, kind, visible, payload)
  local id = newid()
  redis.call('HSET', IK(e, 'qd'), id, payload)
  redis.call('HSET', IK(e, 'qk'), id, kind)
  redis.call('ZADD', IK(e, 'q'), visible, id)
  redis.call('HSET', K('omi'), id, e)
  local score = visible
  local lu = tonumber(redis.call('HGET', IK(e, 'lk'), 'until') or '0')
  if lu > NOW and lu > score then score = lu end
  redis.call('ZADD', K('oq'), score, id)
  if score <= NOW then NOTE_OI[e] = true else NOTE_O = true end
end

local function delete_orch_msg(e, id)
  redis.call('ZREM', IK(e, 'q'), id)
  redis.call('HDEL', IK(e, 'qd'), id)
  redis.call('HDEL', IK(e, 'qk'), id)
  redis.call('HDEL', IK(e, 'qa'), id)
  redis.call('ZREM', K('oq'), id)
  redis.call('HDEL', K('omi'), id)
end

-- After a lock is released every message of the instance is fetchable at its own visible_at again.
local function reset_scores(e)
  local all = redis.call('ZRANGE', IK(e, 'q'), 0, -1, 'WITHSCORES')
  for i = 1, #all, 2 do
    redis.call('ZADD', K('oq'), all[i + 1], all[i])
    if tonumber(all[i + 1]) <= NOW then NOTE_OI[e] = true else NOTE_O = true end
  end
end

local function release_lock(e)
  local tok = redis.call('HGET', IK(e, 'lk'), 'tok')
  if tok then redis.call('HDEL', K('lktok'), tok) end
  redis.call('DEL', IK(e, 'lk'), IK(e, 'tg'))
end

-- Resolves an instance lock token; 'check_expiry' also rejects a lapsed lock.
local function resolve_lock(token, check_expiry)
  local e = redis.call('HGET', K('lktok'), token)
  if not e then fail('Invalid lock token: no instance lock is held with this token (never issued, acked, abandoned or deleted)') end
  local lk = redis.call('HMGET', IK(e, 'lk'), 'tok', 'until')
  if lk[1] ~= token then fail('Invalid lock token: the instance lock is now held by another fetch') end
  if check_expiry and tonumber(lk[2]) <= NOW then
    fail('Instance lock expired: the lock for this token expired at ' .. lk[2] .. ' (now ' .. ARGV[2] .. ')')
  end
  return e
end

local STATUSES = {'Running', 'Completed', 'Failed', 'ContinuedAsNew'}
local function reindex(e)
  for _, s in ipairs(STATUSES) do redis.call('SREM', K('st', s), e) end
  if redis.call('EXISTS', IK(e)) == 1 then
    local cur = redis.call('HGET', IK(e), 'cur')
    local st = redis.call('HGET', IK(e, 'x', cur), 'status') or 'Running'
    redis.call('SADD', K('st', st), e)
  end
end

-- A new execution gets a history generation 'hg' that is unique across the key space (from the sequence),
-- so a reader's cached prefix can never match a deleted-and-recreated or rewritten execution.
local function ensure_exec(e, x)
  if redis.call('ZADD', IK(e, 'x'), 'NX', x, x) == 1 then
    redis.call('HSET', IK(e, 'x', x), 'status', 'Running', 'started', NOW, 'hg', redis.call('INCR', K('seq')), 'hm', 0)
    redis.call('HINCRBY', K('cnt'), 'execs', 1)
  end
end

-- Any history write other than an append after the highest event id invalidates every cached prefix.
local function hist_bump(e, x)
  redis.call('HSET', IK(e, 'x', x), 'hg', redis.call('INCR', K('seq')))
end

-- Appends {id, json} events (ids already checked absent) and keeps 'hm' = highest event id; an id at or
-- below the previous highest would reorder the history, so it bumps the generation.
local function hist_append(e, x, events)
  if #events == 0 then return end
  local xk = IK(e, 'x', x)
  local hk = IK(e, 'h', x)
  local hm = tonumber(redis.call('HGET', xk, 'hm') or '0')
  local top, tail = hm, true
  for _, ev in ipairs(events) do
    local id = tonumber(ev[1])
    if id <= hm then tail = false end
    if id > top then top = id end
    redis.call('HSET', hk, ev[1], ev[2])
  end
  redis.call('HSET', xk, 'hm', top)
  if not tail then hist_bump(e, x) end
end

-- Execution x's history for a reader that caches n events up to id 'top' under generation g ('' = none).
-- Returns {gen|false, base, flat, len, hm}: base -1 means flat holds the whole history, else only events
-- after the cached prefix (valid because only tail appends happen without a generation bump).
local function hist_read(e, x, g, n, top)
  local xk = IK(e, 'x', x); local hk = IK(e, 'h', x)
  local m = redis.call('HMGET', xk, 'hg', 'hm')
  local hm = tonumber(m[2] or '0')
  if m[1] and g == m[1] then
    local len = redis.call('HLEN', hk)
    if len >= n and hm - top == len - n then
      local ids = {}
      for id = top + 1, hm do ids[#ids + 1] = id end
      local vals = hmget_all(hk, ids)
      local flat, ok = {}, true
      for i, v in ipairs(vals) do
        if not v then ok = false; break end
        flat[#flat + 1] = ids[i]; flat[#flat + 1] = v
      end
      if ok then return {m[1], n, flat, len, hm} end
    end
  end
  local flat = redis.call('HGETALL', hk)
  return {m[1] or false, -1, flat, #flat / 2, hm}
end

local function enqueue_work(e, x, aid, sid, tag, payload)
  local id = newid()
  local f = {'d', payload, 'e', e, 'x', x, 'aid', aid, 'vis', NOW, 'att', 0}
  if sid ~= '' then
    f[#f + 1] = 'sid'; f[#f + 1] = sid
    redis.call('SADD', K('s', sid, 'w'), id)
  end
  if tag ~= '' then f[#f + 1] = 'tag'; f[#f + 1] = tag end
  redis.call('HSET', K('w', id), unpack(f))
  redis.call('ZADD', K('wq'), NOW, id)
  redis.call('SADD', IK(e, 'w'), id)
  -- A session row may be claimable only by its owner, whichever waiter that is: wake them all.
  if sid ~= '' then NOTE_W = true else NOTE_WN = NOTE_WN + 1 end
end

local function delete_work_row(id)
  local r = redis.call('HMGET', K('w', id), 'e', 'sid', 'tok')
  if r[1] then redis.call('SREM', IK(r[1], 'w'), id) end
  if r[2] then redis.call('SREM', K('s', r[2], 'w'), id) end
  if r[3] then redis.call('HDEL', K('wtk'), r[3]) end
  redis.call('DEL', K('w', id))
  redis.call('ZREM', K('wq'), id)
end

-- Best-effort heartbeat of a worker row's session (only while the session lease is live).
local function touch_session(sid)
  if not sid then return end
  local lu = tonumber(redis.call('HGET', K('s', sid), 'until') or '0')
  if lu > NOW then redis.call('HSET', K('s', sid), 'last', NOW) end
end

-- Resolves a worker lock token to its row id; 'check_expiry' also rejects a lapsed lock.
local function resolve_work(token, check_expiry)
  local id = redis.call('HGET', K('wtk'), token)
  if not id then fail('Invalid lock token: no activity is locked with this token (never issued, acked, abandoned, cancelled or deleted)') end
  local r = redis.call('HMGET', K('w', id), 'tok', 'lu')
  if r[1] ~= token then fail('Invalid lock token: the activity is no longer locked with this token') end
  if check_expiry and tonumber(r[2]) <= NOW then
    fail('Activity lock expired: the lock for this token expired at ' .. r[2] .. ' (now ' .. ARGV[2] .. ')')
  end
  return id
end
`;
