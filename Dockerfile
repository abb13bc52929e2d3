# Production image of the API, the worker and the migrations (see docker-compose.yml).
# Build stage: every dependency, the TypeScript compiled to dist/ and the workflow bundle made once
# (npm run build = tsc + scripts/bundle-workflows.ts), so nothing compiles or bundles at run time.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build
# docker-compose.yml runs the SendGrid sink (a test double, with tsx) from this stage, unprivileged too.
USER node

# Run stage: Node 24, production dependencies only, the compiled code, as the unprivileged `node` user.
FROM node:24-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
USER node

EXPOSE 3000 9464 9465
# The API by default; the worker's service overrides CMD and the check (docker-compose.yml):
#   node dist/workflows/worker.js, healthcheck `node dist/scripts/healthcheck.js worker`.
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 CMD ["node", "dist/scripts/healthcheck.js", "api"]
CMD ["node", "dist/api/server.js"]
