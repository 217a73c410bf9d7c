"""`pii-guard serve`: the AMSDAL-protocol PII cryptor service (needs the `serve` extra).

Modules, one job each: `settings` reads the TOML file, `auth` decides who a request is,
`tls` gives the application the client certificate, `proxy` reads the one a trusted TLS proxy
passes, `body` parses and limits requests and writes answers, `cryptors` builds one KMS cryptor
per client, `audit` and `metrics` record what happened, `app` wires the Starlette routes, `main`
runs uvicorn.
"""
