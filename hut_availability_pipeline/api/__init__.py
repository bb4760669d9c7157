"""The read-only HTTP API: availability for a map (GeoJSON), one hut's days, and the trend of a
hut-date (`hut-availability serve`, composed with the web front end by `serving.app`).

Why FastAPI: our data already comes as pydantic models (hut-services' schemas and enums, which the
response models reuse), FastAPI validates requests and serializes responses with them, and it
publishes an OpenAPI 3.1 description (`/openapi.json`, docs at `/docs`) generated from the same
models, so clients and our tests check responses against what the server says it returns.
"""
