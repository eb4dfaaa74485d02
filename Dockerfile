# syntax=docker/dockerfile:1
# The Finance Aggregation API as one image for the API, the worker and the CLI (docs/deploy.md).
#
#   docker build -t finance-api .
#   docker run -p 8000:8000 -v finance-data:/data finance-api                 # embedded database in /data
#   docker compose up -d --scale worker=3                                      # PostgreSQL, API, workers
#
# Build stage: every dependency, the TypeScript compiled to dist/, then the development dependencies
# pruned. test/deploy/container-contract.test.ts repeats these steps in a clean directory, in this order.
FROM node:22-bookworm-slim AS build
WORKDIR /app
# What `npm ci` needs, and its postinstall (scripts/pglite-template.ts migrates an embedded database
# template into node_modules/.cache, so a fresh embedded /data starts as a copy of it).
COPY package.json package-lock.json tsconfig.json ./
COPY scripts/ scripts/
COPY src/ src/
COPY drizzle/ drizzle/
# bin/dashboard-bundle.js: `npm run build` bundles the dashboard's browser code (esbuild, a development
# dependency) into dist/dashboard-assets/, which the runtime serves as built.
COPY bin/ bin/
RUN npm ci --no-audit --no-fund
RUN npm run build
RUN npm prune --omit=dev --no-audit --no-fund
# The embedded database template is made by root here and copied into /data by the `node` user at the
# first embedded start: readable by all (PostgreSQL keeps its folders 0700 and its files 0600).
RUN mkdir -p node_modules/.cache && chmod -R a+rX node_modules/.cache

# Runtime stage: Node 22, production dependencies, the compiled service; no tsx, no esbuild, no sources.
FROM node:22-bookworm-slim AS runtime
WORKDIR /app
ENV HOST=0.0.0.0 \
    PORT=8000 \
    DATA_DIR=/data
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules/ node_modules/
COPY --from=build /app/dist/ dist/
COPY drizzle/ drizzle/
COPY bin/ bin/
# The app directory stays root's and read-only; the service writes only to DATA_DIR (embedded database,
# generated secrets, key ring, lock file, control socket).
RUN mkdir -p /data && chown node:node /data
VOLUME ["/data"]
USER node
EXPOSE 8000
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8000) + '/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# The API. The worker: `node dist/worker.js`; the CLI: `node bin/finance-api.js <command>` (bin/launch.js
# loads dist/ when esbuild is absent, as here).
CMD ["node", "dist/server.js"]
