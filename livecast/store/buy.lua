-- One buy, atomically: idempotency, show live, product, per-order limit, stock, deal price;
-- then stock -= qty, sold += qty, revenue += price * qty, the order appended.
-- KEYS: show, products, stock, sold, revenue, orders, order_ids, deal
-- ARGV: sku, qty, order_id, user, buyer name
local show_key, products_key, stock_key, sold_key = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local revenue_key, orders_key, order_ids_key, deal_key = KEYS[5], KEYS[6], KEYS[7], KEYS[8]
local sku, qty, order_id, user, name = ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4], ARGV[5]

local idem_field = user .. "|" .. order_id
local previous = redis.call("HGET", order_ids_key, idem_field)
if previous then
  local answer = cjson.decode(previous)
  answer["replayed"] = true
  return cjson.encode(answer)
end

local function refuse(code, extra)
  local answer = {ok = false, error = code, sku = sku, qty = qty}
  if extra then for k, v in pairs(extra) do answer[k] = v end end
  return cjson.encode(answer)
end

local status = redis.call("HGET", show_key, "status")
if not status then return refuse("unknown_show") end
if status ~= "live" then return refuse("not_live") end
local record = redis.call("HGET", products_key, sku)
if not record then return refuse("unknown_product") end
local product = cjson.decode(record)
if qty == nil or qty < 1 or qty ~= math.floor(qty) then return refuse("invalid") end
local limit = product["max_per_order"]
if limit ~= nil and limit ~= cjson.null and qty > limit then
  return refuse("limit_exceeded", {max_per_order = limit})
end

local remaining = redis.call("HGET", stock_key, sku)
if remaining then
  remaining = tonumber(remaining)
  if remaining <= 0 then return refuse("sold_out", {remaining = 0}) end
  if qty > remaining then return refuse("insufficient_stock", {remaining = remaining}) end
end

local t = redis.call("TIME")
local now_ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local price = product["price"]
local deal = false
local deal_sku = redis.call("HGET", deal_key, "sku")
if deal_sku == sku then
  local ends_at = tonumber(redis.call("HGET", deal_key, "ends_at") or "0")
  if now_ms < ends_at then
    price = tonumber(redis.call("HGET", deal_key, "price"))
    deal = true
  end
end

local left = cjson.null
if remaining then left = redis.call("HINCRBY", stock_key, sku, -qty) end
local sold = redis.call("HINCRBY", sold_key, sku, qty)
redis.call("HINCRBY", revenue_key, sku, price * qty)
redis.call("XADD", orders_key, "*", "order_id", order_id, "user", user, "name", name,
  "sku", sku, "qty", qty, "price", price, "ts", now_ms)
local answer = {ok = true, order_id = order_id, sku = sku, qty = qty, price = price,
  total = price * qty, deal = deal, sold = sold, remaining = left, ts = now_ms}
redis.call("HSET", order_ids_key, idem_field, cjson.encode(answer))
return cjson.encode(answer)
