-- Expire the orders whose deadline has passed (order_lib.lua's move, prepended at load time).
-- Each due order is claimed inside this one atomic script, so however many processes
-- sweep at once, every order expires (and gives its units back) exactly once.
-- KEYS: deadlines, outbox.  ARGV: at most how many orders this call, "1" when a global
-- webhook URL is set
HOOKED = ARGV[2] == "1"
local now = now_ms()
local due = redis.call("ZRANGEBYSCORE", DEADLINES, "-inf", now, "LIMIT", 0, tonumber(ARGV[1]))
local expired = {}
for _, order_id in ipairs(due) do
  local answer = move(order_id, "expired", "system", {}, "", now, 0)
  if answer.ok and answer.changed then
    table.insert(expired, answer.order)
  else
    redis.call("ZREM", DEADLINES, order_id) -- paid, cancelled or gone since: nothing to expire
  end
end
if #expired == 0 then return "[]" end
return cjson.encode(expired)
