-- POST /v1/requests with realistic bodies from a file (one JSON document a
-- line, from bench_bodies --kind submit).
-- wrk -s bench/http/post.lua URL -- BODIES_FILE API_KEY
package.path = debug.getinfo(1, "S").source:match("@?(.*/)") .. "?.lua;" .. package.path
local common = require("common")

local bodies, next_index

setup = common.setup

function init(args)
  bodies, next_index = common.init(args)
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  local body = bodies[next_index]
  next_index = next_index % #bodies + 1
  return wrk.format("POST", "/v1/requests", nil, body)
end
