# syntax=docker/dockerfile:1
# Multi-stage: the first stage installs production dependencies with the frozen lockfile; the
# runtime stage holds only the workspace and runs as the unprivileged `node` user.
FROM node:20-bookworm-slim AS deps
RUN npm install -g pnpm@10.34.8
WORKDIR /src
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml ./
COPY packages/domain/package.json packages/domain/
COPY packages/adapters-memory/package.json packages/adapters-memory/
COPY packages/adapters-crypto/package.json packages/adapters-crypto/
COPY packages/adapters-postgres/package.json packages/adapters-postgres/
COPY packages/adapters-http/package.json packages/adapters-http/
COPY packages/adapters-redis/package.json packages/adapters-redis/
COPY packages/adapters-mail/package.json packages/adapters-mail/
COPY packages/app/package.json packages/app/
# The app and the workspace packages it imports, nothing else: tools/ (the benchmarks) is not in the
# build context (.dockerignore), and its entry in the lockfile is left as it is.
RUN pnpm install --frozen-lockfile --prod --filter "@userkit/app..." --ignore-scripts=false
COPY packages/ packages/

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8000 \
    DATA_DIR=/data
WORKDIR /app
COPY --from=deps --chown=node:node /src /app
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8000)+'/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# From the app's folder: tsx is the app's own dependency (the root's is a dev one, not installed).
WORKDIR /app/packages/app
# node receives SIGTERM directly (exec form), so the graceful stop runs.
CMD ["node", "--import", "tsx", "src/main.ts"]
