-- POST realistic bodies from a file (one JSON document a line, from
-- bench_bodies) to PATH: /v1/requests (--kind submit, the default) or
-- /v1/contacts (--kind contact).
-- PAUSE_MS paces each connection: it waits that long before each request
-- (64 connections pausing 12.8 ms send about 5,000 a second, less the time
-- an answer takes).
-- wrk -s bench/http/post.lua URL -- BODIES_FILE API_KEY [PATH [PAUSE_MS]]
package.path = debug.getinfo(1, "S").source:match("@?(.*/)") .. "?.lua;" .. package.path
local common = require("common")

local bodies, next_index, path, pause

setup = common.setup

function init(args)
  bodies, next_index = common.init(args)
  path = args[3] or "/v1/requests"
  pause = tonumber(args[4] or "0")
  wrk.headers["Content-Type"] = "application/json"
end

function delay()
  return pause
end

function request()
  local body = bodies[next_index]
  next_index = next_index % #bodies + 1
  return wrk.format("POST", path, nil, body)
end
