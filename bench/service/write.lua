-- wrk script: each request writes a new application (a store transaction and its durable
-- audit event), as the applicant whose session and CSRF token the environment gives.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Cookie"] = "oncodata_session=" .. os.getenv("SESSION")
wrk.headers["X-CSRF-Token"] = os.getenv("CSRF")
wrk.body = [[{"title": "load", "objectives": "o", "public_interest": "p", "methodology": "m",
  "legal_basis": "GDPR art. 6(1)(e)", "variables": ["persons.sex"], "duration_months": 12}]]

-- Count the answers that are not 201, so that refusals are not taken for throughput.
local wrong = 0
function response(status, headers, body)
  if status ~= 201 then wrong = wrong + 1 end
end
function done(summary, latency, requests)
  io.write(string.format("non-201 answers: %d\n", wrong))
end
