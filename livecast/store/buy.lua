-- One buy, atomically: the buy RESERVES the units as an order (contract "Orders").
-- Idempotency, show live, product, per-order limit, stock, deal price; then stock -= qty,
-- sold += qty, revenue += price * qty, the order record and its deadline, the orders
-- stream entry and the outbox event -- all in this one step.
-- KEYS: show, products, stock, sold, revenue, orders, deal, order, show's order list,
--       show's order sequence, the buyer's orders, deadlines, outbox
-- ARGV: sku, qty, order_id, user, buyer name, hold (ms), show id,
--       "1" when a global webhook URL is set (else only shows with their own get events)
local show_key, products_key, stock_key, sold_key = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local revenue_key, orders_key, deal_key, order_key = KEYS[5], KEYS[6], KEYS[7], KEYS[8]
local list_key, seq_key, mine_key, deadlines_key, outbox_key =
  KEYS[9], KEYS[10], KEYS[11], KEYS[12], KEYS[13]
local sku, qty, order_id, user, name = ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4], ARGV[5]
local hold_ms, show_id, hooked = tonumber(ARGV[6]), ARGV[7], ARGV[8] == "1"

local function refuse(code, extra)
  local answer = {ok = false, error = code, sku = sku, qty = qty}
  if extra then for k, v in pairs(extra) do answer[k] = v end end
  return cjson.encode(answer)
end

local existing = redis.call("HMGET", order_key, "user", "show", "ack")
if existing[1] then
  if existing[1] ~= user or existing[2] ~= show_id then
    return refuse("invalid", {reason = "order_id_taken"})
  end
  local answer = cjson.decode(existing[3])
  answer["replayed"] = true
  return cjson.encode(answer)
end

local show = redis.call("HMGET", show_key, "status", "currency", "checkout", "replay_sales",
  "webhook_url")
local status = show[1]
if not status then return refuse("unknown_show") end
-- live, or ended with the replay still selling (the show's replay_sales, on by default)
local replay = status == "ended" and show[4] ~= "0"
if status ~= "live" and not replay then return refuse("not_live") end
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

-- shipping from the show's checkout setting (builtin: a fee, free over a threshold)
local total = price * qty
local shipping_fee = 0
local checkout = (show[3] and show[3] ~= "") and cjson.decode(show[3]) or {mode = "builtin", shipping_fee = 3000,
  free_shipping_over = 30000}
if checkout.mode ~= "shop" then
  local fee, over = checkout.shipping_fee, checkout.free_shipping_over
  if type(fee) == "number" then shipping_fee = fee end
  if type(over) == "number" and total >= over then shipping_fee = 0 end
end

local left = cjson.null
if remaining then left = redis.call("HINCRBY", stock_key, sku, -qty) end
local sold = redis.call("HINCRBY", sold_key, sku, qty)
redis.call("HINCRBY", revenue_key, sku, total)
redis.call("XADD", orders_key, "*", "order_id", order_id, "user", user, "name", name,
  "sku", sku, "qty", qty, "price", price, "ts", now_ms)

local expires_at = now_ms + hold_ms
local order = {
  order_id = order_id, show = show_id, user = user, nickname = name, sku = sku,
  name = product["name"], image = product["image"] or cjson.null, qty = qty, price = price,
  total = total, subtotal = total, shipping_fee = shipping_fee,
  amount_due = total + shipping_fee, deal = deal, currency = show[2] or "KRW",
  status = "reserved", created_at = now_ms, expires_at = expires_at, buyer = cjson.null,
  payment = cjson.null, carrier = cjson.null, tracking = cjson.null, ref = cjson.null,
  history = {{status = "reserved", at = now_ms, by = "buyer"}},
}
local seq = redis.call("INCR", seq_key)
redis.call("ZADD", list_key, seq, order_id)
redis.call("ZADD", mine_key, now_ms, order_id)
redis.call("ZADD", deadlines_key, expires_at, order_id)
local doc = cjson.encode(order)
if hooked or (show[5] and show[5] ~= "") then -- nobody to tell: no outbox event
  redis.call("XADD", outbox_key, "*", "type", "order.reserved", "show", show_id,
    "key", order_id, "data", doc, "created_at", now_ms)
end

local answer = {ok = true, status = "reserved", order_id = order_id, sku = sku, qty = qty,
  price = price, total = total, subtotal = total, shipping_fee = shipping_fee,
  amount_due = total + shipping_fee, deal = deal, sold = sold, remaining = left,
  ts = now_ms, expires_at = expires_at}
local ack = cjson.encode(answer)
redis.call("HSET", order_key, "doc", doc, "ack", ack, "user", user, "show", show_id,
  "seq", seq)
return ack
