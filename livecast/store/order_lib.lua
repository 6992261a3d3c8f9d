-- Shared by the order scripts (prepended to move.lua and sweep.lua when they are loaded):
-- the transition table and move(), which changes ONE order and everything it touches.
local PREFIX = "livecast:"
local DEADLINES = PREFIX .. "order_deadlines"
local OUTBOX = PREFIX .. "outbox"

local function now_ms()
  local t = redis.call("TIME")
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function show_key(show, what)
  return PREFIX .. "show:" .. show .. ":" .. what
end

-- to -> set of statuses it may come from (expired only by the sweeper)
local ALLOWED = {
  placed = {reserved = true},
  paid = {reserved = true, placed = true},
  shipped = {paid = true, placed = true},
  cancelled = {reserved = true, placed = true, paid = true},
  expired = {reserved = true, placed = true},
}

-- the outbox event, when someone is to be told: a global webhook (HOOKED, set by the
-- script that includes this file) or the show's own
local HOOKED = false

local function publish(o, now)
  if not HOOKED then
    local url = redis.call("HGET", PREFIX .. "show:" .. o.show, "webhook_url")
    if not url or url == "" then return end
  end
  redis.call("XADD", OUTBOX, "*", "type", "order." .. o.status, "show", o.show,
    "key", o.order_id, "data", cjson.encode(o), "created_at", now)
end

local function give_back(o, was_paid)
  local show, sku, qty = o.show, o.sku, o.qty
  if redis.call("HEXISTS", show_key(show, "stock"), sku) == 1 then
    redis.call("HINCRBY", show_key(show, "stock"), sku, qty)
  end
  redis.call("HINCRBY", show_key(show, "sold"), sku, -qty)
  redis.call("HINCRBY", show_key(show, "revenue"), sku, -(o.price * qty))
  if was_paid then redis.call("HINCRBY", show_key(show, "paid"), sku, -qty) end
end

-- change: {buyer?, payment?, carrier?, tracking?, ref?}; user: "" for staff, else the buyer
-- returns {ok=true, order, changed} or {ok=false, error=CODE, status=current}
local function move(order_id, to, by, change, user, now, payment_ms)
  local okey = PREFIX .. "order:" .. order_id
  local raw = redis.call("HGET", okey, "doc")
  if not raw then return {ok = false, error = "unknown_order"} end
  local o = cjson.decode(raw)
  if user ~= "" and o.user ~= user then return {ok = false, error = "unknown_order"} end
  local from = o.status
  if from == to then return {ok = true, order = o, changed = false} end
  local allowed = ALLOWED[to]
  if not allowed or not allowed[from] then
    return {ok = false, error = "bad_transition", status = from}
  end
  if to == "expired" and by ~= "system" then
    return {ok = false, error = "bad_transition", status = from}
  end
  if to == "expired" and from == "placed" and o.payment ~= "bank_transfer" then
    return {ok = false, error = "bad_transition", status = from}
  end
  if to == "shipped" and from == "placed" and o.payment ~= "on_delivery" then
    return {ok = false, error = "bad_transition", status = from}
  end
  if user ~= "" and to == "cancelled" and from == "paid" then
    return {ok = false, error = "bad_transition", status = from}
  end
  if from == "reserved" and (to == "placed" or to == "paid") then
    if type(change.buyer) ~= "table" or type(change.payment) ~= "string" then
      return {ok = false, error = "needs_buyer", status = from}
    end
  end
  if to == "shipped" and (type(change.carrier) ~= "string" or type(change.tracking) ~= "string") then
    return {ok = false, error = "needs_tracking", status = from}
  end
  for _, field in ipairs({"buyer", "payment", "carrier", "tracking", "ref"}) do
    if change[field] ~= nil and change[field] ~= cjson.null then o[field] = change[field] end
  end
  o.status = to
  table.insert(o.history, {status = to, at = now, by = by})
  if to == "placed" and o.payment == "bank_transfer" then
    o.expires_at = now + payment_ms
    redis.call("ZADD", DEADLINES, o.expires_at, order_id)
  else
    o.expires_at = cjson.null
    redis.call("ZREM", DEADLINES, order_id)
  end
  if to == "paid" then
    redis.call("HINCRBY", show_key(o.show, "paid"), o.sku, o.qty)
  elseif to == "cancelled" or to == "expired" then
    give_back(o, from == "paid")
  end
  redis.call("HSET", okey, "doc", cjson.encode(o))
  publish(o, now)
  return {ok = true, order = o, changed = true}
end
