-- Lets wrk send another method with a body: WRK_METHOD, and WRK_BODY from the environment,
-- one body per line, sent in turn (so that, say, logins spread over several accounts).
wrk.method = os.getenv("WRK_METHOD") or "GET"
local bodies = {}
for line in (os.getenv("WRK_BODY") or ""):gmatch("[^\n]+") do
  bodies[#bodies + 1] = line
end
local next = 0
request = function()
  if #bodies == 0 then
    return wrk.format()
  end
  next = next % #bodies + 1
  return wrk.format(nil, nil, nil, bodies[next])
end
