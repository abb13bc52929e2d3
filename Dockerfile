# One image for the API, the worker, migrations and the SendGrid sink; tsx runs the TypeScript directly.
FROM node:24-bookworm-slim

WORKDIR /app
RUN chown node:node /app
USER node

# Dependencies first, so a source change does not reinstall them.
COPY --chown=node:node package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

COPY --chown=node:node . .

EXPOSE 3000
CMD ["npm", "run", "api"]
