-- wrk script for Benchmarks/ingest.sh: each thread sends its share of the pre-built signed entry
-- requests (lines of `spool-bench-fixture requests`) in turn, starting over at the end ("cycle":
-- duplicates from then on), or stops at the end ("once"; wrk still runs for its duration).
-- Only the first LIMIT lines are used (the duplicates run: those already stored). A body field
-- "@PATH" is read from that file (a pipeline's body, which holds line breaks).
--   wrk ... -s ingest.lua URL -- FILE THREADS once|cycle LIMIT
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end

function init(args)
  file, threads, mode, limit = args[1], tonumber(args[2]), args[3], tonumber(args[4])
  requests = {}
  local n = 0
  for line in io.lines(file) do
    if n >= limit then break end
    if n % threads == id then
      local fields = {}
      for field in string.gmatch(line, "[^\t]+") do fields[#fields + 1] = field end
      local headers = {}
      for i = 3, #fields - 1, 2 do headers[fields[i]] = fields[i + 1] end
      local body = fields[#fields]
      if string.sub(body, 1, 1) == "@" then
        local f = assert(io.open(string.sub(body, 2), "rb"))
        body = f:read("*a")
        f:close()
      end
      requests[#requests + 1] = wrk.format(fields[1], fields[2], headers, body)
    end
    n = n + 1
  end
  index = 0
end

function request()
  index = index + 1
  if index > #requests then
    if mode == "once" then
      wrk.thread:stop()
      index = #requests
    else
      index = 1
    end
  end
  return requests[index]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d seconds=%.3f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f non2xx=%d socket_errors=%d\n",
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, e.status, e.connect + e.read + e.write + e.timeout))
end
