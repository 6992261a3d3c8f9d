-- One order transition (order_lib.lua's move, prepended at load time).
-- KEYS: order, deadlines, outbox (declared; the show's figures are reached from the order)
-- ARGV: order_id, to, by, change (JSON), user ("" for staff), payment deadline (ms),
--       "1" when a global webhook URL is set
HOOKED = ARGV[7] == "1"
local change = cjson.decode(ARGV[4])
local answer = move(ARGV[1], ARGV[2], ARGV[3], change, ARGV[5], now_ms(), tonumber(ARGV[6]))
return cjson.encode(answer)
