-- wrk script: POST a client_credentials request with HTTP Basic client authentication.
-- The Authorization header value comes from the KEYBOUND_BASIC environment variable.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = "Basic " .. os.getenv("KEYBOUND_BASIC")
wrk.body = "grant_type=client_credentials&scope=api%3A%2F%2Fmail%2F.default"
