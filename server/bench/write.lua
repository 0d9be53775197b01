-- wrk script: sequential writes, one vault per wrk thread (run with -t N -c N so each thread has
-- one connection and its PATCHes arrive in version order). Reads OUT/writes-K.txt for thread K.
-- Once a thread has used all its bodies it repeats the last one, which the server refuses (409):
-- size WRITES so that this does not happen within the duration (the refusals are printed).
local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
  table.insert(threads, thread)
end

local lines = {}
-- Advanced only on a 200: wrk calls request() once more in thread 1 to check the script, and
-- with one connection per thread each response belongs to the last request.
local i = 1
local token
bad = 0
ok = 0
first_bad = 0

function init(args)
  local dir = args[1]
  for line in io.lines(dir .. "/writes-" .. id .. ".txt") do
    local path, body = line:match("^(%S+)\t(.+)$")
    lines[#lines + 1] = { path = path, body = body }
  end
  for line in io.lines(dir .. "/owner.txt") do token = line end
end

function request()
  local l = lines[math.min(i, #lines)]
  return wrk.format("PATCH", l.path,
    { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" }, l.body)
end

function response(status)
  if status == 200 then
    ok = ok + 1
    i = i + 1
  else
    bad = bad + 1
    if first_bad == 0 then first_bad = status end
  end
end

function done(summary, latency, requests)
  local total_ok, total_bad = 0, 0
  for _, t in ipairs(threads) do
    total_ok = total_ok + t:get("ok")
    total_bad = total_bad + t:get("bad")
    io.write(string.format("thread %d: %d writes acknowledged, %d refused (first refusal: %d)\n",
      t:get("id"), t:get("ok"), t:get("bad"), t:get("first_bad")))
  end
  io.write(string.format("writes acknowledged: %d, refused: %d\n", total_ok, total_bad))
end
