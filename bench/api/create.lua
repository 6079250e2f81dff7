-- wrk script: each request files a new citizen request through POST /api/v1/requests.
-- The text varies per request (problem, place, house number, thread, counter), so every
-- request is new, is masked and routed, and none repeats a stored one.

local problems = {
  "门口的路灯坏了好几天，晚上很黑，请尽快维修。",
  "小区旁边的餐馆每天夜里十二点以后还很吵，影响休息。",
  "路面有一个大坑，下雨积水，电动车经过很危险。",
  "公交站牌被撞坏了，等车的人看不到线路信息。",
  "学校周边早上送孩子的车太多，经常堵车。",
  "工地晚上十点以后还在施工，噪音很大。",
  "垃圾桶满了没人清理，气味很大，招苍蝇。",
  "单位拖欠工资三个月了，希望劳动部门帮忙处理。",
  "社区医院挂号排队时间太长，希望增加窗口。",
  "菜市场有商贩占道经营，行人没法通过。",
}
local places = { "幸福路", "解放路", "人民路", "和平小区", "阳光花园", "建设路", "滨江路", "光明街" }

local counter = 0
local thread_id = 0

function setup(thread)
  thread:set("id", thread_id)
  thread_id = thread_id + 1
end

function init(args)
  key = os.getenv("CITYAI_BENCH_KEY")
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer " .. key
end

function request()
  counter = counter + 1
  local problem = problems[(counter % #problems) + 1]
  local place = places[(math.floor(counter / #problems) % #places) + 1]
  local body = string.format(
    '{"body":"%s%d号%s（编号%d-%d）","channel":"hotline","citizen_ref":"caller-%d"}',
    place, counter % 97 + 1, problem, id, counter, counter % 5000)
  return wrk.format(nil, "/api/v1/requests", nil, body)
end

function done(summary, latency, requests)
  io.write(string.format("created_per_second %.1f\n", summary.requests / (summary.duration / 1e6)))
  io.write(string.format("p50_ms %.2f\np99_ms %.2f\n", latency:percentile(50) / 1000, latency:percentile(99) / 1000))
  io.write(string.format("errors %d\n", summary.errors.connect + summary.errors.read
    + summary.errors.write + summary.errors.status + summary.errors.timeout))
end
