-- wrk script: the reads staff make all day, mixed: one request by id (60 %), the first page
-- of the inbox (20 %), the triage queue (10 %) and the next request in triage (10 %).

local max_id = tonumber(os.getenv("CITYAI_BENCH_MAX_ID") or "1000")
local counter = 0
local thread_id = 0

function setup(thread)
  thread:set("id", thread_id)
  thread_id = thread_id + 1
end

function init(args)
  wrk.headers["Authorization"] = "Bearer " .. os.getenv("CITYAI_BENCH_KEY")
  math.randomseed(os.time() * 100 + id)
end

function request()
  counter = counter + 1
  local slot = counter % 10
  local path
  if slot < 6 then
    path = "/api/v1/requests/" .. math.random(1, max_id)
  elseif slot < 8 then
    path = "/api/v1/requests?page=1&size=20"
  elseif slot < 9 then
    path = "/api/v1/requests?status=triage&sort=oldest&size=20"
  else
    path = "/api/v1/triage/next"
  end
  return wrk.format("GET", path)
end

function done(summary, latency, requests)
  io.write(string.format("reads_per_second %.1f\n", summary.requests / (summary.duration / 1e6)))
  io.write(string.format("p50_ms %.2f\np99_ms %.2f\n", latency:percentile(50) / 1000, latency:percentile(99) / 1000))
  io.write(string.format("errors %d\n", summary.errors.connect + summary.errors.read
    + summary.errors.write + summary.errors.status + summary.errors.timeout))
end
