-- post.lua with a pause: each connection waits PAUSE_MS before each
-- request (64 connections pausing 10 ms send about 5,000 a second, less the
-- time an answer takes). A script of its own, because wrk sends every
-- request through a timer once a script defines delay().
-- wrk -s bench/http/paced_post.lua URL -- BODIES_FILE API_KEY PATH PAUSE_MS
dofile(debug.getinfo(1, "S").source:match("@?(.*/)") .. "post.lua")

local post_init, pause = init, 0

function init(args)
  post_init(args)
  pause = tonumber(args[4])
end

function delay()
  return pause
end
