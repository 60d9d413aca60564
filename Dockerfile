# Koalr web/worker/beat image. One image, three commands (see docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# An unprivileged user runs the app; the code stays root-owned, so the app cannot rewrite it.
RUN groupadd --system koalr \
    && useradd --system --gid koalr --home-dir /home/koalr --create-home --shell /usr/sbin/nologin koalr

# Dependencies first: this layer is reused until requirements.txt changes. Runtime packages
# only; the test tools (requirements-dev.txt) never enter the image.
# psycopg[binary] ships its own libpq, so no system packages are needed.
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .

# Static files are collected into the image (whitenoise serves them, hashed and compressed).
# The settings refuse to load without these secrets when DEBUG is off, so the build passes
# throwaway values on this one command line; they are not stored in the image's ENV.
RUN SECRET_KEY=collectstatic-build-only-not-a-secret \
    FIELD_ENCRYPTION_KEYS=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= \
    DEBUG=0 \
    python manage.py collectstatic --noinput

USER koalr

EXPOSE 8000

# Workers come from WEB_CONCURRENCY (gunicorn reads it); logs go to stdout/stderr.
CMD ["gunicorn", "koalr.wsgi:application", "--bind", "0.0.0.0:8000", "--timeout", "60"]
