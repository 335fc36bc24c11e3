# syntax=docker/dockerfile:1
# Puente's container image: `docker build -t puente .` (the app), `docker build --target proxy -t puente-proxy .`
# (Debian's nginx in front). deploy/compose.yaml runs both; tests/test_deploy.py checks this file against the package.

# -- 1. build: the wheel of puente and of every dependency ---------------------------------
FROM python:3.11-slim-bookworm AS build
WORKDIR /src
COPY pyproject.toml setup.py README.md ./
COPY backend/ backend/
COPY pwa/ pwa/
COPY service_worker/ service_worker/
COPY content/ content/
COPY locales/ locales/
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

# -- 2. proxy: Debian's nginx serving the current release, /admin/ and /api/ passed to the app --
FROM debian:bookworm-slim AS proxy
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends nginx-light \
    && rm -rf /var/lib/apt/lists/* \
    && ln -sf /dev/stderr /var/log/nginx/error.log
COPY deploy/nginx.conf /etc/nginx/nginx.conf
EXPOSE 80 443
HEALTHCHECK --interval=30s --timeout=5s CMD ["nginx", "-t", "-q"]
CMD ["nginx", "-g", "daemon off;"]

# -- 3. app: `puente serve` as an unprivileged user; everything it writes is in the volume ----
FROM python:3.11-slim-bookworm AS app
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-index --find-links=/wheels /wheels/puente-*.whl \
    && rm -rf /wheels \
    && groupadd --system --gid 10001 puente \
    && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/puente --create-home puente
# XDG_DATA_HOME=/var/lib: content, catalogs and releases live in /var/lib/puente/{content,locales,var};
# the first start copies the default content pack and catalogs there from the package.
ENV XDG_DATA_HOME=/var/lib \
    PUENTE_HOST=0.0.0.0 \
    PUENTE_PORT=8000 \
    PUENTE_LOG_FORMAT=json \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
USER 10001:10001
WORKDIR /var/lib/puente
VOLUME ["/var/lib/puente"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=180s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status != 200)"]
CMD ["puente", "serve"]
