-- wrk script of the load benchmark: each thread sends the request targets
-- of BENCH_URLS (one a line) in turn, starting at its own offset, with the
-- headers a Firefox update check sends. The same script drives nginx.
local path = os.getenv("BENCH_URLS") or "bench/data/seed-1/urls.txt"
local counter = 0
local threads = {}

function setup(thread)
  thread:set("id", counter)
  table.insert(threads, thread)
  counter = counter + 1
end

local requests = {}
local i = 1

function init(args)
  local headers = { ["User-Agent"] = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0", ["Accept"] = "*/*" }
  for line in io.lines(path) do
    if #line > 0 then
      table.insert(requests, wrk.format("GET", line, headers))
    end
  end
  -- spread the threads over the list
  i = 1 + (id * 7919) % #requests
end

function request()
  local r = requests[i]
  i = i + 1
  if i > #requests then i = 1 end
  return r
end
