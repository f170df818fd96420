-- wrk script for bench/run.py: one request shape per run, described by environment
-- variables, and a JSON summary written to WRK_JSON_OUT when the run ends.
--
--   WRK_METHOD   GET (default) or POST
--   WRK_PATH     request path and query (default: the path of the URL given to wrk)
--   WRK_HEADERS  extra headers, one "Name: value" a line
--   WRK_BODY     request body; every "{n}" in it becomes a number unique to this request
--                (thread id and a per-thread counter), so posted comments all differ
--   WRK_JSON_OUT file for the summary (requests, duration, errors, latency percentiles)

local method = os.getenv("WRK_METHOD") or "GET"
local path = os.getenv("WRK_PATH")
local body = os.getenv("WRK_BODY")
local out = os.getenv("WRK_JSON_OUT")
if out == "" then out = nil end
local headers = {}
for line in string.gmatch(os.getenv("WRK_HEADERS") or "", "[^\n]+") do
  local name, value = string.match(line, "^%s*([^:]+):%s*(.-)%s*$")
  if name then headers[name] = value end
end

local unique = body ~= nil and string.find(body, "{n}", 1, true) ~= nil
local counter = 0
local prefix = "0"
local fixed = nil

local threads = {}
function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  prefix = tostring(id or 0)
  if not unique then
    fixed = wrk.format(method, path, headers, body)
  end
end

function request()
  if fixed then return fixed end
  counter = counter + 1
  local n = prefix .. "x" .. counter
  local b = string.gsub(body, "{n}", n)
  return wrk.format(method, path, headers, b)
end

function done(summary, latency, requests)
  if not out then return end
  local f = assert(io.open(out, "w"))
  local e = summary.errors
  f:write(string.format(
    '{"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"min":%d,"mean":%.1f,"stdev":%.1f,"max":%d,"p50":%d,"p90":%d,"p99":%d,"p999":%d}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.min, latency.mean, latency.stdev, latency.max,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9)))
  f:close()
end
