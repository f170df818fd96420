-- wrk script for bench/run.py: one request shape per run, described by environment
-- variables, or a weighted mix of shapes read from a file; and a JSON summary written to
-- WRK_JSON_OUT when the run ends.
--
--   WRK_METHOD   GET (default) or POST
--   WRK_PATH     request path and query (default: the path of the URL given to wrk)
--   WRK_HEADERS  extra headers, one "Name: value" a line
--   WRK_BODY     request body; every "{n}" in it becomes a number unique to this request
--                (thread id and a per-thread counter), so posted comments all differ
--   WRK_MIX      instead of the four above: a file of request shapes, each request drawn at
--                random by weight (the soak rows). Lines:
--                  list NAME VALUE...          values for "{NAME}" (space-separated)
--                  request WEIGHT METHOD PATH  a shape drawn WEIGHT times in sum-of-weights
--                  header Name: value          a header of the last shape
--                  body TEXT                   the body of the last shape
--                In paths, headers and bodies "{NAME}" becomes a random value of list NAME
--                (the same value wherever it appears in one request) and "{n}" a number
--                unique to the request.
--   WRK_JSON_OUT file for the summary (requests, duration, errors, latency percentiles)
--   WRK_DELAY_MS a pause before each request of a connection, in milliseconds (a paced
--                background load instead of one as fast as the server answers)
--   WRK_PATHS    instead of WRK_PATH: a file of request paths, one a line, sent in turn
--                (each thread from its own starting line), with WRK_METHOD and WRK_HEADERS:
--                the search row's fixed list of queries

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

-- The mix (WRK_MIX): lists of values and weighted request shapes.
local lists = {}
local shapes = {}
local total_weight = 0

local function read_mix(file)
  local last = nil
  for line in io.lines(file) do
    local kind, rest = string.match(line, "^(%S+)%s*(.*)$")
    if kind == "list" then
      local name, values = string.match(rest, "^(%S+)%s*(.*)$")
      local list = {}
      for v in string.gmatch(values, "%S+") do table.insert(list, v) end
      assert(#list > 0, "empty list " .. name)
      lists[name] = list
    elseif kind == "request" then
      local weight, m, p = string.match(rest, "^(%S+)%s+(%S+)%s+(%S+)$")
      last = {weight = tonumber(weight), method = m, path = p, headers = {}, body = nil}
      total_weight = total_weight + last.weight
      table.insert(shapes, last)
    elseif kind == "header" then
      local name, value = string.match(rest, "^([^:]+):%s*(.-)%s*$")
      last.headers[name] = value
    elseif kind == "body" then
      last.body = rest
    end
  end
  assert(total_weight > 0, "no request in " .. file)
end

local mix = os.getenv("WRK_MIX")
if mix == "" then mix = nil end
if mix then read_mix(mix) end

-- The paths sent in turn (WRK_PATHS).
local paths = {}
local next_path = 0
local paths_file = os.getenv("WRK_PATHS")
if paths_file and paths_file ~= "" then
  for line in io.lines(paths_file) do
    if line ~= "" then table.insert(paths, line) end
  end
  assert(#paths > 0, "no path in " .. paths_file)
end

-- Replaces every "{NAME}" by one random value of list NAME, and "{n}" by `n`.
local function fill(text, chosen, n)
  return (string.gsub(text, "{(%w+)}", function(name)
    if name == "n" then return n end
    local list = lists[name]
    if not list then return nil end
    if not chosen[name] then chosen[name] = list[math.random(#list)] end
    return chosen[name]
  end))
end

local function mixed_request(n)
  local r = math.random() * total_weight
  local shape = shapes[#shapes]
  for _, s in ipairs(shapes) do
    r = r - s.weight
    if r <= 0 then shape = s break end
  end
  local chosen = {}
  local h = {}
  for name, value in pairs(shape.headers) do h[name] = fill(value, chosen, n) end
  local b = shape.body and fill(shape.body, chosen, n) or nil
  return wrk.format(shape.method, fill(shape.path, chosen, n), h, b)
end

local delay_ms = tonumber(os.getenv("WRK_DELAY_MS") or "")
if delay_ms and delay_ms > 0 then
  function delay() return delay_ms end
end

local threads = {}
function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  prefix = tostring(id or 0)
  math.randomseed(os.time() * 100 + (id or 0))
  if #paths > 0 then
    -- Threads start apart, so that they do not ask the same query at the same moment.
    next_path = ((id or 1) - 1) * 7
  elseif not unique and not mix then
    fixed = wrk.format(method, path, headers, body)
  end
end

function request()
  if fixed then return fixed end
  if #paths > 0 then
    next_path = next_path % #paths + 1
    return wrk.format(method, paths[next_path], headers, body)
  end
  counter = counter + 1
  local n = prefix .. "x" .. counter
  if mix then return mixed_request(n) end
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
