# whohad: one image for `whohad serve` (the default), `whohad collect` and `whohad demo`.
#
#   docker build -t whohad .
#   docker run --rm -p 8080:8080 -v whohad-data:/data \
#     -e WHOHAD_HOST=0.0.0.0 -e WHOHAD_API_KEYS='desk:lookup:<sha256 of the key>' whohad
#
# The server listens on 127.0.0.1 unless WHOHAD_HOST says otherwise, and refuses any other address
# without WHOHAD_API_KEYS: in a container, set both (see docs/docker.md). The image does not set
# WHOHAD_HOST=0.0.0.0 for you, so that no image default can open the API without keys.

# Three stages on Node 24 (LTS): the production dependencies, the build (dev dependencies, tsc), and the
# image, which holds only the first and dist/ from the second: it runs compiled JavaScript with plain
# node and writes nothing outside /data, so it also runs with a read-only root filesystem
# (`docker run --read-only`). Install scripts are not needed (classic-level ships prebuilt binaries,
# esbuild's binary comes in its platform package), so none are run.
FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/build.ts ./scripts/
COPY src ./src
RUN npm run build

FROM node:24-bookworm-slim
ENV NODE_ENV=production \
    WHOHAD_DATA_DIR=/data
WORKDIR /app
# Owned by root and read-only to the user whohad runs as; only /data is written. package.json says the
# compiled files are ES modules.
COPY --from=deps /app/node_modules ./node_modules
COPY package.json package-lock.json ./
COPY --from=build /app/dist ./dist
# The embedded store's files (when no DynamoDB endpoint is configured). Created before VOLUME so that a
# new named volume starts owned by `node`.
RUN mkdir -p /data && chown node:node /data
VOLUME /data
USER node
EXPOSE 8080
# Node's own fetch (the slim image has no curl). The API is asked on loopback, which an API bound to
# 0.0.0.0 or :: also answers; WHOHAD_PORT must be the real port (not 0). A container running only the
# collector (`collect`, `serve --collector-only`) serves no HTTP: run it with --no-healthcheck.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "const h = process.env.WHOHAD_HOST; const host = !h || h === '0.0.0.0' || h === '::' ? '127.0.0.1' : h.includes(':') ? '[' + h + ']' : h; fetch('http://' + host + ':' + (process.env.WHOHAD_PORT || 8080) + '/healthz', { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "dist/cli.js"]
CMD ["serve"]
