-- bench/walk.lua: a wrk script for porterd's write routes (bench/issue.sh).
--
--   wrk -t1 ... -s bench/walk.lua URL -- IDS PATH BODY STATUS OUT [MUST]
--
--   IDS     a file of delivery ids, one a line, each used once: request k is
--           a POST to PATH with its "%s" replaced by the k-th id. When the
--           ids run out the thread stops (the answers still in flight are
--           not counted: the figure is the steady state with every
--           connection busy). "-": no ids, every request is a POST to PATH.
--   BODY    a file whose bytes are the body of every request (JSON)
--   STATUS  the status every answer must have
--   OUT     a file to which the delivery id of every good answer is appended
--   MUST    optional: a string every good answer's body must contain
--
-- Answers with another status or without MUST are counted as bad; done()
-- prints "walk ok=N bad=N sent=N", which issue.sh checks. One wrk thread
-- (-t1): the counters live in its Lua state.

local ids, n, k = {}, 0, 0
local path, body, status, must, out
ok, bad, sent = 0, 0, 0

function setup(thread)
	threads = threads or {}
	table.insert(threads, thread)
end

function init(args)
	if args[1] ~= "-" then
		for line in io.lines(args[1]) do
			if line ~= "" then
				n = n + 1
				ids[n] = line
			end
		end
	end
	path = args[2]
	local f = assert(io.open(args[3], "rb"))
	body = f:read("*a")
	f:close()
	status = tonumber(args[4])
	out = assert(io.open(args[5], "a"))
	must = args[6]
	if must == "" then must = nil end
	wrk.headers["Content-Type"] = "application/json"
end

function request()
	if n == 0 then
		sent = sent + 1
		return wrk.format("POST", path, nil, body)
	end
	k = k + 1
	if k > n then
		wrk.thread:stop()
		return wrk.format("GET", "/v1/health")
	end
	sent = sent + 1
	return wrk.format("POST", string.format(path, ids[k]), nil, body)
end

function response(st, headers, b)
	if st == 200 and b:find('"status":"ok"', 1, true) then
		return -- the filler after the ids ran out
	end
	local id = b:match('"id":"(d%-%x+)"')
	if st == status and id ~= nil and (must == nil or b:find(must, 1, true)) then
		ok = ok + 1
		out:write(id, "\n")
		out:flush()
	else
		bad = bad + 1
		if bad <= 3 then
			io.stderr:write("walk: bad answer ", st, ": ", b:sub(1, 200), "\n")
		end
	end
end

function done(summary, latency, requests)
	local o, b, s = 0, 0, 0
	for _, t in ipairs(threads) do
		o = o + t:get("ok")
		b = b + t:get("bad")
		s = s + t:get("sent")
	end
	io.write(string.format("walk ok=%d bad=%d sent=%d\n", o, b, s))
end
