# One image for every clvdesk role. The default command serves the web receiver and API with gunicorn;
# run `clvdesk worker` in the same image for the queue worker. Point CLVDESK_REDIS_URL at a Redis server:
# the embedded one is for single-machine installs, not containers.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN useradd --create-home --uid 10001 clvdesk

WORKDIR /src
COPY . .
RUN pip install ".[server]"

USER clvdesk
WORKDIR /home/clvdesk
EXPOSE 8000
CMD ["gunicorn", "--bind", "0.0.0.0:8000", "--workers", "2", "--access-logfile", "-", "plugin:create_app()"]
