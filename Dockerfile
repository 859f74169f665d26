# The service's image: the same one runs the web processes, the job workers and the migrations
# (see compose.yaml). Build: docker build -t placements .

# GOV.UK Frontend and the stylesheet, built with the versions package-lock.json pins.
FROM node:20-bookworm-slim AS assets
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY assets ./assets
RUN npm run build

FROM python:3.11-slim-bookworm
# Pango and a font lay out the PDF letters (WeasyPrint).
RUN apt-get update \
    && apt-get install --yes --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
COPY requirements.lock ./
RUN pip install --require-hashes -r requirements.lock
COPY . .
COPY --from=assets /src/static/dist ./static/dist
# Installed in place: the service reads its templates and static files from /app.
RUN pip install --no-deps -e . && useradd --uid 10001 --no-create-home placements
USER placements
ENV PLACEMENTS_ENV=production PORT=8000
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4)"
CMD ["placements", "serve", "--host", "0.0.0.0"]
