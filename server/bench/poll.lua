-- wrk script: members polling their vault list with If-None-Match (expect 304).
-- Reads OUT/poll.txt ("TOKEN ETAG" lines); requests go round-robin over the members.
local members = {}
local i = 0
non304 = 0

function init(args)
  for line in io.lines(args[1]) do
    local token, etag = line:match("^(%S+) (.+)$")
    members[#members + 1] = { token = token, etag = etag }
  end
end

function request()
  i = i % #members + 1
  local m = members[i]
  return wrk.format("GET", "/api/v1/vaults",
    { ["Authorization"] = "Bearer " .. m.token, ["If-None-Match"] = m.etag })
end

function response(status)
  if status ~= 304 then non304 = non304 + 1 end
end

local threads = {}
function setup(thread) table.insert(threads, thread) end
function done(summary, latency, requests)
  local n = 0
  for _, t in ipairs(threads) do n = n + t:get("non304") end
  io.write(string.format("polls not answered 304: %d\n", n))
end
