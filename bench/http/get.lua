-- GET /v1/requests/{id} for ids from a file (one a line).
-- wrk -s bench/http/get.lua URL -- IDS_FILE API_KEY
package.path = debug.getinfo(1, "S").source:match("@?(.*/)") .. "?.lua;" .. package.path
local common = require("common")

local ids, next_index

setup = common.setup

function init(args)
  ids, next_index = common.init(args)
end

function request()
  local id = ids[next_index]
  next_index = next_index % #ids + 1
  return wrk.format("GET", "/v1/requests/" .. id)
end
