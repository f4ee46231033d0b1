-- wrk script for bench/bench_webhook.py: POSTs pre-signed LINE webhook bodies to /callback.
--
--   WRK_RESULT=out.json wrk -t2 -c32 -d12s -s bench/webhook.lua http://127.0.0.1:PORT -- BODIES RATE THREADS
--
-- BODIES      a file with one request per line: "<X-Line-Signature>\t<JSON body>" (bench/out/webhook/)
-- RATE        total requests per second over all threads, paced on an absolute schedule (wrk's
--             delay() hook, CLOCK_MONOTONIC through LuaJIT's FFI); 0 = as fast as possible
-- THREADS     the -t value again (each thread takes its share of BODIES)
-- WRK_RESULT  where done() writes the summary and latency percentiles as JSON (microseconds)
--
-- Paced runs are open-loop only as long as a connection is free when a request is due; a run that
-- falls behind sends as soon as one is (the achieved rate is in the result). Latency is wrk's:
-- from writing a request to reading its whole response.
--
-- Thread i of n sends lines i, i+n, i+2n, ... so every request carries a body (and so
-- webhookEventId) no other thread sends; a thread that runs out starts its share again and counts it
-- in "wrapped" (redeliveries: stored once, acknowledged, not handled again).

local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clk_id, bench_timespec *tp);
]]
local CLOCK_MONOTONIC = 1
local ts = ffi.new("bench_timespec")

local function now_ms()
   ffi.C.clock_gettime(CLOCK_MONOTONIC, ts)
   return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end

local threads = {}
local counter = 0

function setup(thread)
   thread:set("index", counter)
   counter = counter + 1
   table.insert(threads, thread)
end

-- per-thread state (each wrk thread has its own Lua state)
local requests = {}
local position = 0
local interval = 0
local next_at = nil
wrapped = 0
sent = 0

function init(args)
   local path, rate = args[1], tonumber(args[2] or "0")
   local nthreads = tonumber(args[3] or "1")
   local line_no = 0
   for line in io.lines(path) do
      if line_no % nthreads == index then
         local tab = line:find("\t", 1, true)
         local headers = {
            ["Content-Type"] = "application/json; charset=UTF-8",
            ["X-Line-Signature"] = line:sub(1, tab - 1),
            ["User-Agent"] = "LineBotWebhook/2.0",
         }
         table.insert(requests, wrk.format("POST", "/callback", headers, line:sub(tab + 1)))
      end
      line_no = line_no + 1
   end
   if #requests == 0 then
      error("no request bodies for thread " .. index .. " in " .. path)
   end
   if rate > 0 then
      interval = 1000 * nthreads / rate
      delay = paced_delay -- defined only when pacing: wrk checks for delay() after the first init()
   end
end

function request()
   position = position + 1
   if position > #requests then
      position = 1
      wrapped = wrapped + 1
   end
   sent = sent + 1
   return requests[position]
end

-- milliseconds wrk waits before this connection's next request: the next free slot of the schedule
function paced_delay()
   local now = now_ms()
   if next_at == nil then
      next_at = now
   end
   next_at = next_at + interval
   local wait = next_at - now
   if wait < 0 then
      return 0 -- behind schedule (every connection was busy): send now, keep the schedule
   end
   return wait
end

function done(summary, latency, _requests)
   local result = os.getenv("WRK_RESULT")
   if result == nil then
      return
   end
   local total_wrapped = 0
   for _, thread in ipairs(threads) do
      total_wrapped = total_wrapped + (thread:get("wrapped") or 0)
   end
   local errors = summary.errors
   local f = assert(io.open(result, "w"))
   f:write(string.format(
      '{"requests": %d, "duration_us": %d, "bytes": %d, "non2xx": %d, "connect": %d, "read": %d, '
         .. '"write": %d, "timeout": %d, "wrapped": %d, "mean_us": %.1f, "max_us": %d, '
         .. '"p50_us": %d, "p90_us": %d, "p99_us": %d, "p999_us": %d}\n',
      summary.requests, summary.duration, summary.bytes, errors.status, errors.connect, errors.read,
      errors.write, errors.timeout, total_wrapped, latency.mean, latency.max,
      latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9)))
   f:close()
end
