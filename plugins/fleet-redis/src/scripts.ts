// Lua scripts run atomically inside Redis: that is what makes "exactly one node decides a ban" hold when
// several nodes count the same attacker at the same moment.

/**
 * Add one failure and count the window. KEYS: failures zset, ban key, claim key. ARGV: time, findtime,
 * maxretry, member. A failure counts while `now - t < findtime`. When the count reaches maxretry and the target
 * is neither banned nor claimed, the window is cleared (the ban resets it), a claim is left for findtime (so the
 * failures that keep arriving before the ban is recorded decide nothing more), and this caller decides: returns
 * `{count, 1}`; otherwise `{count, 0}`.
 */
export const ADD_FAILURE = `
local now = tonumber(ARGV[1])
local findtime = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - findtime)
redis.call('ZADD', KEYS[1], now, ARGV[4])
redis.call('PEXPIRE', KEYS[1], findtime)
local count = redis.call('ZCARD', KEYS[1])
if count >= tonumber(ARGV[3]) and redis.call('EXISTS', KEYS[2], KEYS[3]) == 0 then
  redis.call('DEL', KEYS[1])
  redis.call('SET', KEYS[3], ARGV[4], 'PX', findtime)
  return {count, 1}
end
return {count, 0}
`;

/**
 * Record a ban once and tell the fleet. KEYS: ban key, index, history. ARGV: ban JSON, ttl ms (-1 forever),
 * index score, index member, channel, event JSON, history ttl ms. Returns 1 when recorded, 0 when the ban was
 * already there (another node's, or ours re-published after a reconnect).
 */
export const PUBLISH_BAN = `
local ttl = tonumber(ARGV[2])
local ok
if ttl > 0 then
  ok = redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ttl)
else
  ok = redis.call('SET', KEYS[1], ARGV[1], 'NX')
end
if not ok then return 0 end
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4])
redis.call('INCR', KEYS[3])
redis.call('PEXPIRE', KEYS[3], tonumber(ARGV[7]))
redis.call('PUBLISH', ARGV[5], ARGV[6])
return 1
`;

/** Lift a ban everywhere. KEYS: ban key, index. ARGV: index member, channel, event JSON. */
export const PUBLISH_UNBAN = `
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('PUBLISH', ARGV[2], ARGV[3])
return 1
`;
