-- Submits requests (POST /v1/requests, bodies from a file) for as long as
-- wrk runs, and writes the ids the server gave to OUT_FILE.
-- wrk -s bench/http/seed.lua URL -- BODIES_FILE API_KEY OUT_FILE
package.path = debug.getinfo(1, "S").source:match("@?(.*/)") .. "?.lua;" .. package.path
local common = require("common")

local bodies, next_index
local all_threads = {}
ids = {}        -- global: done() reads it from each thread
out_file = nil  -- global, for done()

function setup(thread)
  common.setup(thread)
  all_threads[#all_threads + 1] = thread
end

function init(args)
  bodies, next_index = common.init(args)
  out_file = args[3]
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  local body = bodies[next_index]
  next_index = next_index % #bodies + 1
  return wrk.format("POST", "/v1/requests", nil, body)
end

function response(status, headers, body)
  if status == 201 then
    local id = body:match('"url":"/v1/requests/([^"]+)"')
    if id then ids[#ids + 1] = id end
  end
end

function done(summary, latency, requests)
  local path = all_threads[1]:get("out_file")
  local out = assert(io.open(path, "w"))
  local count = 0
  for _, thread in ipairs(all_threads) do
    for _, id in ipairs(thread:get("ids")) do
      out:write(id, "\n")
      count = count + 1
    end
  end
  out:close()
  io.write(string.format("seeded %d requests into %s\n", count, path))
end
