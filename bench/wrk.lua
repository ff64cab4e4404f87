-- Replays the pre-signed requests that bench/requests.ts wrote (path given after `--`), round-robin in each thread,
-- and counts answers that are not an HTTP 200 without an envelope Error: the API reports errors inside HTTP 200.

local threads = {}
local next_id = 1

function setup(thread)
  thread:set('id', next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

-- Items are `<byte length>:<bytes>` (writeRequestsFile in bench/requests.ts).
local function item(s, pos)
  local colon = string.find(s, ':', pos, true)
  local n = tonumber(string.sub(s, pos, colon - 1))
  return string.sub(s, colon + 1, colon + n), colon + n + 1
end

function init(args)
  local f = assert(io.open(args[1], 'rb'))
  local s = f:read('*a')
  f:close()
  local pos = 1
  local count
  count, pos = item(s, pos)
  -- wrk's advice: format every request once here, so request() is a table lookup.
  prepared = {}
  for i = 1, tonumber(count) do
    local method, path, nheaders, body
    method, pos = item(s, pos)
    path, pos = item(s, pos)
    nheaders, pos = item(s, pos)
    local headers = {}
    for _ = 1, tonumber(nheaders) do
      local name, value
      name, pos = item(s, pos)
      value, pos = item(s, pos)
      headers[name] = value
    end
    body, pos = item(s, pos)
    if body == '' then body = nil end
    prepared[i] = wrk.format(method, path, headers, body)
  end
  -- Threads start at different requests so that together they spread over every order from the first second.
  index = ((id or 1) - 1) % #prepared
  app_errors = 0
  sample = ''
end

function request()
  index = index % #prepared + 1
  return prepared[index]
end

function response(status, headers, body)
  if status ~= 200 or string.find(body, '"Error"', 1, true) then
    app_errors = app_errors + 1
    if sample == '' then sample = string.sub(status .. ' ' .. body, 1, 300) end
  end
end

function done(summary, latency, requests)
  local errors = 0
  local first = ''
  for _, t in ipairs(threads) do
    errors = errors + t:get('app_errors')
    if first == '' then first = t:get('sample') end
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests":%d,"durationUs":%d,"p50Us":%d,"p99Us":%d,"maxUs":%d,"appErrors":%d,' ..
      '"socketErrors":%d,"timeouts":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max, errors,
    e.connect + e.read + e.write, e.timeout))
  io.write('BENCH_SAMPLE ' .. string.gsub(first, '[\r\n]', ' ') .. '\n')
end
