# One image for every clvdesk role. The default command serves the web receiver and API with `clvdesk web`;
# run `clvdesk worker` in the same image for the queue worker. Point CLVDESK_REDIS_URL at a Redis server:
# the embedded one is for single-machine installs, not containers.
#
# The base image is pinned by digest (the multi-architecture index of the tag), so every build starts from
# the same bytes. To move to a newer release, look its digest up and replace tag and digest together:
#   docker buildx imagetools inspect python:3.11-slim-bookworm   # "Digest:" of the index
FROM python:3.11.14-slim-bookworm@sha256:65a93d69fa75478d554f4ad27c85c1e69fa184956261b4301ebaf6dbb0a3543d

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN useradd --create-home --uid 10001 clvdesk

WORKDIR /src
# Dependencies first, each at the version and hash in the lock: a change to clvdesk's code reuses this layer.
COPY requirements/server.lock requirements/server.lock
RUN pip install --require-hashes -r requirements/server.lock
COPY . .
RUN pip install --no-deps --no-build-isolation .

USER clvdesk
WORKDIR /home/clvdesk
EXPOSE 8000
# The web role's check; docker-compose.yml gives the worker its own (`clvdesk worker --check`).
HEALTHCHECK --interval=15s --timeout=5s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=3)"]
CMD ["clvdesk", "web", "--host", "0.0.0.0", "--port", "8000"]
