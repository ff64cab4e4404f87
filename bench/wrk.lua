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

-- wrk 4 "corrects" its latency histogram for coordinated omission before anyone reads it (stats_correct in wrk.c):
-- every recorded latency n above twice the mean interval between a connection's requests (e: run time over answers
-- per connection) adds a made-up sample at each of n - e, n - 2e, ... down to the last value above e. In a closed-loop
-- run that keeps the server saturated, the first requests of connections that the server accepts one per turn of its
-- event loop (libuv accepts one connection per turn) become hundreds of samples that no request had, and they made
-- the 64-connection p99 (bench/README.md, "wrk's latency percentiles"). The correction only ever adds to buckets below
-- the sample it copies, so the histogram as recorded comes back exactly: recorded[m] = corrected[m] - corrected[m + e]
-- for m > e. The histogram is read through LuaJIT's FFI in wrk 4's layout. The layout is checked against what wrk
-- itself says before any bucket is read (its minimum, its maximum, and the size the timeout gives it), the reading
-- after (the stored count equals the buckets' sum, the recovered samples number the answers, none is negative); if
-- either check fails, wrk's own figures are reported and say so.
local ffi = require('ffi')
ffi.cdef([[
  typedef struct { uint64_t count; uint64_t limit; uint64_t min; uint64_t max; uint64_t data[?]; } tcssl_wrk_stats;
]])

-- wrk's own rule: the first bucket whose running count reaches round(p% of the count + 0.5)
local function percentile(buckets, total, p)
  local rank = math.floor(p / 100 * total + 1)
  local seen = 0
  for _, b in ipairs(buckets) do
    seen = seen + b[2]
    if seen >= rank then return b[1] end
  end
  return buckets[#buckets] and buckets[#buckets][1] or 0
end

-- returns the recorded samples as {value, count} pairs in rising order and their number, or nil and why not
local function as_recorded(summary, latency, connections, timeouts, timeout_us)
  local s = ffi.cast('tcssl_wrk_stats **', latency)[0]
  if s == nil then return nil, 'histogram unreadable' end
  local count, limit, min, max = tonumber(s.count), tonumber(s.limit), tonumber(s.min), tonumber(s.max)
  -- the layout, before any bucket is read: wrk's own minimum and maximum, and the size its timeout gives the histogram
  if limit ~= timeout_us + 1 then return nil, 'histogram size' end
  if count == 0 then return {}, 0 end
  if min ~= latency.min or max ~= latency.max or not (min <= max and max < limit) then
    return nil, 'histogram bounds'
  end
  local sum = 0
  for n = min, max do sum = sum + tonumber(s.data[n]) end
  if sum ~= count then return nil, 'histogram count' end
  local per_connection = math.floor(summary.requests / connections)
  local e = per_connection > 0 and math.floor(summary.duration / per_connection) or nil
  local buckets, total = {}, 0
  for m = min, max do
    local c = tonumber(s.data[m])
    if e and m > e and m + e <= max then c = c - tonumber(s.data[m + e]) end
    if c < 0 then return nil, 'negative bucket' end
    if c > 0 then
      buckets[#buckets + 1] = { m, c }
      total = total + c
    end
  end
  -- every answer is recorded unless it took longer than the histogram holds (counted as a timeout)
  if total > summary.requests or total < summary.requests - timeouts then return nil, 'sample count' end
  return buckets, total
end

function done(summary, latency, requests)
  local errors = 0
  local first = ''
  for _, t in ipairs(threads) do
    errors = errors + t:get('app_errors')
    if first == '' then first = t:get('sample') end
  end
  local e = summary.errors
  local wrk50, wrk99 = latency:percentile(50), latency:percentile(99)
  local p50, p99, from, why = wrk50, wrk99, 'wrk', ''
  local connections = tonumber(os.getenv('TCSSL_BENCH_CONNECTIONS') or '')
  local timeout_s = tonumber(os.getenv('TCSSL_BENCH_TIMEOUT_S') or '')
  if connections and connections > 0 and timeout_s then
    local ok, buckets, total = pcall(as_recorded, summary, latency, connections, e.timeout, timeout_s * 1000000)
    if not ok then
      why = 'histogram unreadable'
    elseif not buckets then
      why = total
    elseif total == 0 then
      from, why = 'recorded', 'no answers'
    else
      p50, p99, from = percentile(buckets, total, 50), percentile(buckets, total, 99), 'recorded'
    end
  else
    why = 'TCSSL_BENCH_CONNECTIONS or TCSSL_BENCH_TIMEOUT_S not set'
  end
  io.write(string.format(
    'BENCH_RESULT {"requests":%d,"durationUs":%d,"p50Us":%d,"p99Us":%d,"maxUs":%d,"appErrors":%d,' ..
      '"socketErrors":%d,"timeouts":%d,"latencyFrom":"%s","latencyNote":"%s","wrkP50Us":%d,"wrkP99Us":%d}\n',
    summary.requests, summary.duration, p50, p99, latency.max, errors,
    e.connect + e.read + e.write, e.timeout, from, why, wrk50, wrk99))
  io.write('BENCH_SAMPLE ' .. string.gsub(first, '[\r\n]', ' ') .. '\n')
end
