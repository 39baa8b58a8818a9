-- Shared by the wrk scripts: each thread reads one list (a line per entry)
-- and starts at its own place in it, so threads do not send the same
-- sequence. Arguments after `--`: LIST_FILE API_KEY [...].
local common = {}

local threads = 0

-- Called by wrk in the main state, once per thread before it starts.
function common.setup(thread)
  thread:set("thread_number", threads)
  threads = threads + 1
end

-- Reads the list and sets the API key; returns the list and the first index.
function common.init(args)
  local list = {}
  for line in io.lines(args[1]) do
    if line ~= "" then list[#list + 1] = line end
  end
  if #list == 0 then error("empty list: " .. args[1]) end
  wrk.headers["Authorization"] = "Bearer " .. args[2]
  return list, (thread_number * 7919) % #list + 1
end

return common
