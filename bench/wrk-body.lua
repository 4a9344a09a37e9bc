-- Lets wrk send another method with a fixed body: WRK_METHOD and WRK_BODY from the environment.
wrk.method = os.getenv("WRK_METHOD") or "GET"
wrk.body = os.getenv("WRK_BODY")
