-- POST realistic bodies from a file (one JSON document a line, from
-- bench_bodies) to PATH: /v1/requests (--kind submit, the default) or
-- /v1/contacts (--kind contact).
-- wrk -s bench/http/post.lua URL -- BODIES_FILE API_KEY [PATH]
package.path = debug.getinfo(1, "S").source:match("@?(.*/)") .. "?.lua;" .. package.path
local common = require("common")

local bodies, next_index, path

setup = common.setup

function init(args)
  bodies, next_index = common.init(args)
  path = args[3] or "/v1/requests"
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  local body = bodies[next_index]
  next_index = next_index % #bodies + 1
  return wrk.format("POST", path, nil, body)
end
