-- Telegram updates for the webhook row: every request a new update_id (from WRK_UPDATE_BASE),
-- a "/rates USD EUR" command from one of the linked users (WRK_CHATS, comma-separated ids).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

local base = tonumber(os.getenv("WRK_UPDATE_BASE") or "1")
local chats = {}
for id in string.gmatch(os.getenv("WRK_CHATS") or "1", "[^,]+") do
  chats[#chats + 1] = id
end
local counter = 0

request = function()
  counter = counter + 1
  local id = base + counter
  local chat = chats[(counter % #chats) + 1]
  local body = string.format(
    '{"update_id":%d,"message":{"message_id":%d,"from":{"id":%s,"is_bot":false,"first_name":"B"},' ..
      '"chat":{"id":%s,"type":"private","first_name":"B"},"date":%d,"text":"/rates USD EUR",' ..
      '"entities":[{"type":"bot_command","offset":0,"length":6}]}}',
    id, id, chat, chat, os.time())
  return wrk.format(nil, nil, nil, body)
end
