-- wrk script: each request carries one of many bearer tokens, chosen Zipf-distributed.
-- KEYBOUND_TOKENS: a file of tokens, one a line. KEYBOUND_ZIPF_S: the exponent s (default 1.0):
-- the token of popularity rank k is chosen with probability proportional to 1 / k^s. Ranks are
-- given to the tokens by a shuffle with a fixed seed (KEYBOUND_ZIPF_SEED, default 1), so the
-- popular tokens are spread over the applications; the sequence of choices is the same in every
-- run, so every configuration sees the same requests. Each token's request is formatted once.
local requests = {}
local cdf = {}
local count = 0

function init(args)
   local path = os.getenv("KEYBOUND_TOKENS") or error("KEYBOUND_TOKENS is not set")
   local s = tonumber(os.getenv("KEYBOUND_ZIPF_S") or "1.0")
   local tokens = {}
   for line in io.lines(path) do
      if #line > 0 then tokens[#tokens + 1] = line end
   end
   count = #tokens
   if count == 0 then error("no tokens in " .. path) end
   math.randomseed(tonumber(os.getenv("KEYBOUND_ZIPF_SEED") or "1"))
   for i = count, 2, -1 do
      local j = math.random(i)
      tokens[i], tokens[j] = tokens[j], tokens[i]
   end
   local total = 0
   for k = 1, count do
      total = total + 1 / (k ^ s)
      cdf[k] = total
   end
   for k = 1, count do
      cdf[k] = cdf[k] / total
      requests[k] = wrk.format("GET", wrk.path, { ["Authorization"] = "Bearer " .. tokens[k] })
   end
end

function request()
   local u = math.random()
   local lo, hi = 1, count
   while lo < hi do
      local mid = math.floor((lo + hi) / 2)
      if cdf[mid] < u then lo = mid + 1 else hi = mid end
   end
   return requests[lo]
end
