# syntax=docker/dockerfile:1
# One Dockerfile, three images: `--target gateway`, `--target matcher` and `--target moderation`
# (docker-compose.yml builds all three). Stages: manifests → build (all deps, turbo build, prune) → runtime.
ARG NODE_IMAGE=node:20-slim

# Only package.json files and the lockfile, at their paths: the `npm ci` layer below is
# rebuilt only when one of them changes, not on every source edit.
FROM ${NODE_IMAGE} AS manifests
WORKDIR /src
COPY . .
RUN find . -type f ! -name package.json ! -name package-lock.json -delete \
 && find . -depth -type d -empty -delete

FROM ${NODE_IMAGE} AS build
ENV TURBO_TELEMETRY_DISABLED=1 \
    NPM_CONFIG_UPDATE_NOTIFIER=false
WORKDIR /app
COPY --from=manifests /src ./
RUN npm ci --no-audit --no-fund
COPY . .
# The three apps, the packages they import, and the web page the gateway serves.
RUN npx turbo run build --filter=@strangers/gateway... --filter=@strangers/matcher... --filter=@strangers/moderation-service... --filter=@strangers/web... \
 && npm prune --omit=dev --no-audit --no-fund

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
# Owned by root, run as `node`: the process cannot rewrite its own code.
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/packages ./packages
COPY --from=build /app/apps ./apps
USER node

# Exec form: node is the process that receives SIGTERM (compose adds `init: true`, tini,
# in front of it to forward signals and reap zombies); every app stops cleanly on SIGTERM.
FROM runtime AS gateway
ENV PORT=8080
EXPOSE 8080
CMD ["node", "apps/gateway/dist/main.js"]

FROM runtime AS matcher
ENV METRICS_PORT=9090
EXPOSE 9090
CMD ["node", "apps/matcher/dist/main.js"]

# The moderation API, console and appeal form (docs/moderation.md).
FROM runtime AS moderation
ENV MODERATION_PORT=8090
EXPOSE 8090
CMD ["node", "apps/moderation/dist/main.js"]
